"""Reading values people type or send, and writing cells people open in spreadsheets."""

from typing import Any

from exhibit.db.base import MAX_INTEGER


def whole_number(text: str) -> int | None:
    """``text`` as a non-negative whole number of ASCII digits, or None.

    ``str.isdigit`` alone accepts characters such as "²" that ``int`` then refuses, and
    numbers too large for the database (``MAX_INTEGER``): both would otherwise end in a 500.
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_INTEGER)):
        number = int(text)
        return number if number <= MAX_INTEGER else None
    return None


def spreadsheet_cell(value: Any) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
