"""Exhibit: receive digital evidence from the public and keep it inside an evidential chain."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("exhibit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
