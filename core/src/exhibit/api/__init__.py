"""The JSON API under ``/api/v1/``: msgspec Structs in and out, described by OpenAPI."""
