"""Alembic migrations of the core schema (plugins add their own branches)."""
