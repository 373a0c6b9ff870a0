"""Test helpers shipped to plugin authors."""

from exhibit.testing.context import provider_context

__all__ = ["provider_context"]
