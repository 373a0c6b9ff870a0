"""``Idempotency-Key``: a POST that creates or sends something, safe to retry.

``models`` holds the kept answers, ``claims`` claims a key and keeps or replays its answer,
``route`` puts the header on a route handler, ``sweep`` forgets keys after a day.
"""
