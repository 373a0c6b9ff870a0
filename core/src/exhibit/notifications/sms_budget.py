"""Text-message length: how many segments a text costs, and fitting a message to a budget.

A text in the GSM 03.38 alphabet takes 160 characters in one segment and 153 per segment
once split (characters of the extension table count twice); anything else is sent as UCS-2,
70 characters alone and 67 per segment split. A message over budget is shortened line by
line, longest first, but the lines carrying the upload link and the force's name are kept
whole: a witness must always see who is asking and where to send. A message in two
languages over budget is first cut down to its essential lines, so that it never keeps a
line in one language and drops it in the other.
"""

from collections.abc import Sequence

DEFAULT_MAX_SEGMENTS = 3

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
ELLIPSIS = "..."


def _gsm_length(text: str) -> int | None:
    """Septets the text needs in the GSM alphabet, or None if it needs UCS-2."""
    length = 0
    for char in text:
        if char in _GSM_BASIC:
            length += 1
        elif char in _GSM_EXTENDED:
            length += 2
        else:
            return None
    return length


def segment_count(text: str) -> int:
    """How many segments ``text`` is sent as."""
    gsm = _gsm_length(text)
    if gsm is not None:
        return 1 if gsm <= 160 else -(-gsm // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def fits(text: str, max_segments: int) -> bool:
    """True if ``text`` takes at most ``max_segments`` segments."""
    return segment_count(text) <= max_segments


def fit_to_segments(body: str, keep: Sequence[str], max_segments: int) -> str:
    """``body`` shortened to ``max_segments`` segments, never cutting a line holding ``keep``.

    Other lines are cut from the longest down (ending in "...") and dropped when nothing
    useful is left of them. If the kept lines alone are still too long, the message becomes
    just those lines' essentials: the ``keep`` strings themselves.
    """
    if max_segments < 1:
        raise ValueError("the segment budget must be at least 1")
    if fits(body, max_segments):
        return body
    lines = body.split("\n")
    kept = [any(k and k in line for k in keep) for line in lines]
    while not fits("\n".join(lines), max_segments):
        cuttable = [i for i, line in enumerate(lines) if not kept[i] and line]
        if not cuttable:
            return "\n".join(k for k in keep if k)
        longest = max(cuttable, key=lambda i: len(lines[i]))
        lines[longest] = _shorten(lines[longest], "\n".join(lines), max_segments)
        if not lines[longest]:
            del lines[longest]
            del kept[longest]
    return "\n".join(lines)


def cut_to_essentials(body: str, keep: Sequence[str], max_segments: int) -> str:
    """``body`` whole if it fits ``max_segments``, else only its lines holding one of ``keep``
    (fitted as ``fit_to_segments`` does if even those are too long).

    For a message in two languages: its optional lines go in both languages at once, where
    ``fit_to_segments`` would cut the longest first and leave one language's and not the
    other's.
    """
    if fits(body, max_segments):
        return body
    lines = [line for line in body.split("\n") if any(k and k in line for k in keep)]
    return fit_to_segments("\n".join(lines), keep, max_segments)


def _shorten(line: str, whole: str, max_segments: int) -> str:
    """``line`` cut so that ``whole`` (which contains it) comes nearer the budget."""
    excess = _excess(whole, max_segments)
    target = len(line) - excess - len(ELLIPSIS)
    if target < 20:  # too little left to be worth keeping
        return ""
    cut = line[:target].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + ELLIPSIS if cut else ""


def _excess(text: str, max_segments: int) -> int:
    """Roughly how many characters ``text`` is over the budget (at least one)."""
    gsm = _gsm_length(text)
    if gsm is not None:
        limit = 160 if max_segments == 1 else 153 * max_segments
        return max(gsm - limit, 1)
    units = len(text.encode("utf-16-le")) // 2
    limit = 70 if max_segments == 1 else 67 * max_segments
    return max(units - limit, 1)
