"""Test helpers shipped to plugin authors."""
