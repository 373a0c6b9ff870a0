"""The witness's path: evidence requests (the link), submissions and resumable uploads."""
