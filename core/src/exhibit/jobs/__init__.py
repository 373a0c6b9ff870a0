"""The durable job queue and its worker: background work that survives a crash."""
