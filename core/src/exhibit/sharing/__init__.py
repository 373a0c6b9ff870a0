"""Sharing evidence with partners: the share-target contract and share records."""
