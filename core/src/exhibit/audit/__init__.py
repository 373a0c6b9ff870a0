"""The append-only audit log, hash-chained per force, and its verification."""
