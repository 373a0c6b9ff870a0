"""Built-in plugin: the outbox notifier (placeholder until written)."""
