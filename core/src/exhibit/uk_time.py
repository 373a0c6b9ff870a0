"""UK local time: every date and time a person reads (officer, witness, message) is in it.

Times are stored and compared in UTC; they are turned into UK time (GMT or BST) only to be
shown or, for a date and time an officer types, to be read. The zone comes from the system's
time zone data or, where a system has none, from the ``tzdata`` package.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")


def uk_time(moment: datetime) -> datetime:
    """``moment`` (timezone-aware) as the clock in the UK showed it."""
    return moment.astimezone(UK_TIME)
