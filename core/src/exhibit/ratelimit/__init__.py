"""Rate limits shared by every app process (counters in the database, not in memory)."""
