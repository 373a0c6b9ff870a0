"""Sizes and dates as a witness reads them, in English or Welsh.

Sizes use decimal units (1 MB = 1,000,000 bytes), as phones show them, and match the page's
script (web-assets/src/uploads/format.js). Times are shown in UK time.
"""

import math
from datetime import datetime

from exhibit.i18n import ENGLISH, LANGUAGES, MONTHS, SIZE_UNITS, translate
from exhibit.uk_time import uk_time


def human_size(size: int, lang: str = ENGLISH) -> str:
    """A size such as ``26.3 MB``."""
    units = SIZE_UNITS[lang if lang in LANGUAGES else ENGLISH]
    if size < 1000:
        return f"{size} {units[0]}"
    value = float(size)
    unit = 0
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    # Half up, as the page's script rounds (Python's format would round half to even).
    rounded = f"{math.floor(value * 10 + 0.5) / 10:.1f}".removesuffix(".0")
    return f"{rounded} {units[unit]}"


def exact_size(size: int, lang: str = ENGLISH) -> str:
    """A size in bytes with thousands separators, such as ``2,345,678 bytes``."""
    return translate(lang, "size_exact", count=f"{size:,}")


def long_date(moment: datetime, lang: str = ENGLISH) -> str:
    """A date and time such as ``5 March 2025 at 3:15pm`` (UK time)."""
    local = uk_time(moment)
    month = MONTHS[lang if lang in LANGUAGES else ENGLISH][local.month - 1]
    hour = local.hour % 12 or 12
    suffix = translate(lang, "am" if local.hour < 12 else "pm")
    time = f"{hour}:{local.minute:02d}{suffix}"
    return translate(lang, "date_time", date=f"{local.day} {month} {local.year}", time=time)
