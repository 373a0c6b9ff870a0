"""Where evidence bytes live: the storage-backend contract and the built-in local disk."""
