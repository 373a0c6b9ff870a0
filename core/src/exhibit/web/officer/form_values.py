"""Reading values people type or send, and writing cells people open in spreadsheets."""

from typing import Any

# Database ids fit in 64 bits; a longer run of digits is not an id of ours.
MAX_ID_DIGITS = 18


def whole_number(text: str) -> int | None:
    """``text`` as a non-negative whole number of ASCII digits, or None.

    ``str.isdigit`` alone accepts characters such as "²" that ``int`` then refuses, and
    numbers too long for the database: both would otherwise end in a 500.
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def spreadsheet_cell(value: Any) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
