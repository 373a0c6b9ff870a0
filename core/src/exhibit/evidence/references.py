"""Exhibit references in a force's format, e.g. the officer's initials and a number: "JS/1".

The format may use ``{initials}`` (the accepting officer's), ``{n}`` (the next number on
the case for that prefix, required), ``{case}`` (the case reference) and ``{year}``.
"""

import re
import string

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.models import EvidenceItem

FIELDS = frozenset({"initials", "n", "case", "year"})
# Ranks and titles that are not part of an officer's initials.
_TITLES = frozenset(
    {"pc", "dc", "ps", "ds", "sgt", "insp", "di", "dci", "supt", "mr", "mrs", "ms", "miss", "dr"}
)


class BadReferenceFormat(ValueError):
    """The force's exhibit reference format cannot make references."""


def check_format(reference_format: str) -> None:
    """Raise ``BadReferenceFormat`` unless the format names only known fields and ``{n}``."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(reference_format) if name}
    except ValueError as exc:
        raise BadReferenceFormat(f"the exhibit reference format is not valid: {exc}") from None
    if "n" not in names:
        raise BadReferenceFormat("the exhibit reference format must contain {n}")
    if unknown := names - FIELDS:
        raise BadReferenceFormat(f"unknown field in exhibit reference format: {sorted(unknown)}")


def initials(name: str) -> str:
    """An officer's initials from their name, without rank or title ("PC Jo Smith" → "JS")."""
    words = [w for w in re.split(r"[\s.\-']+", name) if w and w.lower() not in _TITLES]
    letters = "".join(w[0] for w in words if w[0].isalpha()).upper()
    return letters or "X"


async def next_reference(
    session: AsyncSession, case: Case, reference_format: str, officer_name: str
) -> str:
    """The next free reference on ``case`` in ``reference_format`` for this officer.

    The number is one more than the highest already used with the same prefix and suffix on
    the case. Concurrent callers may compute the same one: the unique constraint on
    (case, reference) decides, and the loser retries (see ``evidence.review.accept``).
    """
    check_format(reference_format)
    values = {"initials": initials(officer_name), "case": case.reference, "year": utcnow().year}
    prefix, spec, suffix = _around_number(reference_format, values)
    pattern = re.compile(re.escape(prefix) + r"(\d+)" + re.escape(suffix))
    used = await session.scalars(
        select(EvidenceItem.exhibit_reference).where(
            EvidenceItem.case_id == case.id, EvidenceItem.exhibit_reference.is_not(None)
        )
    )
    numbers = [int(m.group(1)) for ref in used if ref and (m := pattern.fullmatch(ref))]
    return f"{prefix}{format(max(numbers, default=0) + 1, spec)}{suffix}"


def _around_number(reference_format: str, values: dict[str, object]) -> tuple[str, str, str]:
    """The text before ``{n}``, its format spec (e.g. ``03d``) and the text after."""
    before: list[str] = []
    after: list[str] = []
    spec = ""
    target = before
    for literal, name, field_spec, conversion in string.Formatter().parse(reference_format):
        target.append(literal.replace("{", "{{").replace("}", "}}"))
        if name == "n" and target is before:
            spec, target = field_spec or "", after
        elif name:
            field = name + (f"!{conversion}" if conversion else "")
            target.append("{" + field + (f":{field_spec}" if field_spec else "") + "}")
    try:
        format(1, spec)
        return "".join(before).format(**values), spec, "".join(after).format(**values)
    except (ValueError, KeyError, IndexError) as exc:
        raise BadReferenceFormat(f"the exhibit reference format is not valid: {exc}") from None
