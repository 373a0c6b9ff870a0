"""The ``exhibit`` command line: serve, work, migrate, administer, verify."""
