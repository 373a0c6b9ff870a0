"""What an operator watches: figures read from the shared database, and readiness."""
