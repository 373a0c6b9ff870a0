"""Text-message length: how many segments a text costs, and fitting a message to a budget.

A text in the GSM 03.38 alphabet takes 160 characters in one segment and 153 per segment
once split (characters of the extension table count twice); anything else is sent as UCS-2,
70 characters alone and 67 per segment split. A message over budget is shortened line by
line, longest first, but the lines carrying the upload link and the force's name are kept
whole: a witness must always see who is asking and where to send. A message in two
languages over budget is first cut down to its essential lines, so that it never keeps a
line in one language and drops it in the other. Typographic punctuation (curly quotes,
dashes) is first replaced by its GSM look-alike (``gsm_lookalikes``), so that one pasted
apostrophe does not send the whole text as UCS-2.
"""

from collections.abc import Sequence

DEFAULT_MAX_SEGMENTS = 3

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
ELLIPSIS = "..."
_USEFUL = 20
"""The fewest characters of a shortened line worth sending; below that it is dropped."""
_LOOKALIKES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\u2022", "-"),
        **dict.fromkeys("\t\u00a0\u2007\u2009\u202f", " "),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
        "\u2026": ELLIPSIS,
    }
)


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


def gsm_lookalikes(text: str) -> str:
    """``text`` with typographic punctuation replaced by its GSM look-alike.

    Phones and word processors put curly quotes, dashes and non-breaking spaces into what
    an officer types; any one of them would send the whole text as UCS-2, less than half as
    many characters a segment, so that the officer's words are cut to fit. Letters (Welsh
    ones included) are left alone: only punctuation and spacing have a GSM twin.
    """
    return text.translate(_LOOKALIKES)


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


def fit_to_segments(
    body: str, keep: Sequence[str], max_segments: int, *, free_text: str = ""
) -> str:
    """``body`` shortened to ``max_segments`` segments, never cutting a line holding ``keep``.

    Other lines are cut from the longest down (ending in "...") and dropped when nothing
    useful is left of them. If the kept lines alone are still too long, the message becomes
    just those lines' essentials: the ``keep`` strings themselves. The lines of
    ``free_text`` (the officer's own words) are never kept whole, even when they name the
    force: they go first.
    """
    if max_segments < 1:
        raise ValueError("the segment budget must be at least 1")
    if fits(body, max_segments):
        return body
    lines = body.split("\n")
    kept = [_protected(line, keep, free_text) for line in lines]
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


def cut_to_essentials(
    body: str, keep: Sequence[str], max_segments: int, *, free_text: str = ""
) -> str:
    """``body`` whole if it fits ``max_segments``, else only its lines holding one of ``keep``
    (fitted as ``fit_to_segments`` does if even those are too long). The lines of
    ``free_text`` (the officer's own words) are never essential.

    For a message in two languages: its optional lines go in both languages at once, where
    ``fit_to_segments`` would cut the longest first and leave one language's and not the
    other's.
    """
    if fits(body, max_segments):
        return body
    lines = [line for line in body.split("\n") if _protected(line, keep, free_text)]
    return fit_to_segments("\n".join(lines), keep, max_segments)


def _protected(line: str, keep: Sequence[str], free_text: str) -> bool:
    """True if ``line`` holds one of ``keep`` and is not a line of ``free_text``."""
    if line and line in free_text.split("\n"):
        return False
    return any(k and k in line for k in keep)


def _shorten(line: str, whole: str, max_segments: int) -> str:
    """``line`` cut so that ``whole`` (which contains it) comes nearer the budget."""
    excess = _excess(whole, max_segments)
    target = len(line) - excess - len(ELLIPSIS)
    if target < _USEFUL:  # too little left to be worth keeping
        return ""
    cut = line[:target].rsplit(" ", 1)[0].rstrip(" ,.;:")
    # A long last word (a hash, an address) leaves only a stub such as "SHA-256...":
    # dropping the line says no less and misleads no one.
    return cut + ELLIPSIS if len(cut) >= _USEFUL else ""


def _excess(text: str, max_segments: int) -> int:
    """Roughly how many characters ``text`` is over the budget (at least one)."""
    gsm = _gsm_length(text)
    if gsm is not None:
        limit = 160 if max_segments == 1 else 153 * max_segments
        return max(gsm - limit, 1)
    units = len(text.encode("utf-16-le")) // 2
    limit = 70 if max_segments == 1 else 67 * max_segments
    return max(units - limit, 1)
