"""A fixed-window hit counter."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from exhibit.db.base import Base


class RateLimitWindow(Base):
    """How many hits a key (e.g. ``link:<hash>`` or ``client:<address>``) had in one window."""

    __tablename__ = "rate_limit_window"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
