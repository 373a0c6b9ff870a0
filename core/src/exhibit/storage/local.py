"""Built-in plugin: evidence on the local disk (placeholder until written)."""
