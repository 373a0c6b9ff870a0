"""The languages of the messages a witness is sent, and the force's own words in each.

A force that offers Welsh sends the link and the reminder in Welsh and English, Welsh
first: the Welsh Language Standards ask that Welsh be placed where it is likely to be read
first. A force without Welsh sends English only, worded as it always was. A receipt goes
in the one language the witness sent their files in. The words live with the citizen
pages' own in ``exhibit.i18n``, so a translator finds them in one place.
"""

from collections.abc import Sequence
from datetime import datetime

from exhibit.forces.models import Force
from exhibit.i18n import ENGLISH, LANGUAGES, MONTHS, WELSH, force_text, translate
from exhibit.uk_time import uk_time


def message_languages(force: Force) -> tuple[str, ...]:
    """The languages of a message carrying the link, in order: Welsh and English where the
    force offers Welsh, else English."""
    return (WELSH, ENGLISH) if force.welsh_enabled else (ENGLISH,)


def joined(languages: Sequence[str], key: str, **values: object) -> str:
    """The message ``key`` in each of ``languages``, as one phrase: ``Cwestiynau / Questions``."""
    return " / ".join(translate(lang, key, **values) for lang in languages)


def essentials(force: Force, languages: Sequence[str], lines: Sequence[str]) -> tuple[str, ...]:
    """What a text message over its budget keeps (``MessageContent``): in two languages,
    the ``lines`` and every line holding the force's Welsh name (delivery keeps those holding
    its English one); in English alone nothing, shortened line by line as it always was."""
    if len(languages) < 2:
        return ()
    names = [force_name(force, lang) for lang in languages]
    return (*[name for name in dict.fromkeys(names) if name != force.name], *lines)


def message_date(moment: datetime, lang: str) -> str:
    """A date as the messages write it, in UK time: ``02 December 2026``, ``02 Rhagfyr 2026``."""
    local = uk_time(moment)
    month = MONTHS[lang if lang in LANGUAGES else ENGLISH][local.month - 1]
    return f"{local.day:02d} {month} {local.year}"


def message_date_time(moment: datetime, lang: str) -> str:
    """A date and time as the messages write them, in UK time: ``02 December 2026 at 14:30``."""
    local = uk_time(moment)
    return translate(lang, "date_time", date=message_date(local, lang), time=f"{local:%H:%M}")


def force_name(force: Force, lang: str) -> str:
    """The force's name in ``lang`` (the English one where the Welsh is empty)."""
    return force_text(force.name, force.name_cy, lang)


def force_names(force: Force, languages: Sequence[str]) -> str:
    """The force's name in each of ``languages``, each different one once: ``Heddlu
    Dyfed-Powys / Dyfed-Powys Police``, or ``Kent Police``."""
    return " / ".join(dict.fromkeys(force_name(force, lang) for lang in languages))


def force_contact(force: Force, lang: str) -> str:
    """The force's contact details in ``lang`` (the English ones where Welsh is empty)."""
    return force_text(force.contact_details, force.contact_details_cy, lang)


def question_lines(force: Force, languages: Sequence[str]) -> list[str]:
    """Whom to ask with questions, in each language.

    English contact details standing in for missing Welsh ones are written once, under both
    labels (``Cwestiynau / Questions: ...``), rather than twice in the same words.
    """
    by_text: dict[str, list[str]] = {}
    for lang in languages:
        contact = force_contact(force, lang)
        if contact:
            by_text.setdefault(contact, []).append(lang)
    return [f"{joined(langs, 'message_questions')}: {text}" for text, langs in by_text.items()]
