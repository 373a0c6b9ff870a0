"""Database plumbing: the declarative base, engines and sessions, force scoping, migrations."""
