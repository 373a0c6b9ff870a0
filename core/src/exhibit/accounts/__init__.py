"""People who sign in: users with a role in one force, and their API tokens."""
