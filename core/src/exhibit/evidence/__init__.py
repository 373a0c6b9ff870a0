"""Evidence items (originals as received) and their derivatives (previews, redactions)."""
