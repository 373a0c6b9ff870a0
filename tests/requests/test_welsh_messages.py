"""The link's message from a force that offers Welsh: Welsh first, then English, within the
text-message budget; a force without Welsh sends English as before."""

from datetime import UTC, datetime

import pytest

from exhibit.forces.models import Force
from exhibit.notifications.sms_budget import cut_to_essentials, segment_count
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import link_message

URL = "https://exhibit.example.police.uk/u/Zk3mQ9vX2bL7nR4tY8wC1dF6hJ0aB5eG7iK9mO1qS3u"
EXPIRES = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
CONTACT = "Call 101 and quote your reference."
CONTACT_CY = "Ffoniwch 101 a rhowch eich cyfeirnod."
INTRO_CY = "Mae Dyfed-Powys Police yn gofyn i chi anfon lluniau neu fideos fel tystiolaeth."
INTRO_EN = "Dyfed-Powys Police is asking you to send photos or videos as evidence."
UPLOAD = f"Llwythwch nhw i fyny'n ddiogel yma / Upload them securely here: {URL}"
EXPIRY_CY = "Mae'r ddolen yn gweithio tan 02 Rhagfyr 2026. Cadwch hi'n gyfrinachol."
EXPIRY_EN = "The link works until 02 December 2026. Do not share it."


def _force(*, welsh: bool, contact_cy: str = CONTACT_CY, name_cy: str = "") -> Force:
    return Force(
        name="Dyfed-Powys Police",
        name_cy=name_cy,
        contact_details=CONTACT,
        contact_details_cy=contact_cy,
        welsh_enabled=welsh,
    )


def _request(message: str = "") -> EvidenceRequest:
    return EvidenceRequest(message=message, expires_at=EXPIRES)


def test_a_force_offering_welsh_sends_the_link_in_welsh_then_english() -> None:
    content = link_message(_force(welsh=True), _request("Please send the dashcam video."), URL)

    assert content.subject == (
        "Dyfed-Powys Police: anfonwch eich tystiolaeth / please send your evidence"
    )
    assert content.body.splitlines() == [
        INTRO_CY,
        INTRO_EN,
        "Please send the dashcam video.",  # the officer's words, once, as written
        UPLOAD,
        EXPIRY_CY,
        EXPIRY_EN,
        f"Cwestiynau: {CONTACT_CY}",
        f"Questions: {CONTACT}",
    ]
    assert content.link == URL
    assert content.essentials == (EXPIRY_CY, EXPIRY_EN)
    # No letter outside the GSM alphabet: 153 characters a segment, not 67 as in UCS-2.
    assert segment_count(content.body) == -(-len(content.body) // 153)


def test_english_contact_details_standing_in_for_welsh_are_written_once() -> None:
    content = link_message(_force(welsh=True, contact_cy=""), _request(), URL)

    assert content.body.splitlines()[-1] == f"Cwestiynau / Questions: {CONTACT}"
    assert CONTACT_CY not in content.body


def test_a_force_without_welsh_sends_the_english_message_as_before() -> None:
    """Welsh texts a force has written are not used while it does not offer Welsh."""
    content = link_message(_force(welsh=False), _request("Please send the dashcam video."), URL)

    assert content.subject == "Dyfed-Powys Police: please send your evidence"
    assert content.body == "\n".join(
        [
            INTRO_EN,
            "Please send the dashcam video.",
            f"Upload them securely here: {URL}",
            EXPIRY_EN,
            f"Questions: {CONTACT}",
        ]
    )
    assert content.essentials == ()


@pytest.mark.parametrize(
    ("budget", "lines"),
    [
        (3, [INTRO_CY, INTRO_EN, UPLOAD, EXPIRY_CY, EXPIRY_EN]),
        (2, ["Dyfed-Powys Police", URL, EXPIRY_CY, EXPIRY_EN]),
    ],
)
def test_an_sms_over_budget_keeps_force_link_and_expiry_in_both_languages(
    budget: int, lines: list[str]
) -> None:
    """As delivery fits a text: the officer's words and the contact details go, in both
    languages at once; the force, the link and the expiry stay in both."""
    officer = "Please send the video of the red car you saw on Tuesday evening. " * 6
    content = link_message(_force(welsh=True), _request(officer.strip()), URL)
    keep = ["Dyfed-Powys Police", URL, *content.essentials]

    fitted = cut_to_essentials(content.body, keep, budget)

    assert segment_count(content.body) > 3
    assert segment_count(fitted) <= budget
    assert fitted.splitlines() == lines


def test_the_welsh_lines_name_the_force_in_welsh() -> None:
    force = _force(welsh=True, name_cy="Heddlu Dyfed-Powys")

    content = link_message(force, _request(), URL)

    assert content.subject.startswith("Heddlu Dyfed-Powys / Dyfed-Powys Police: ")
    intro_cy, intro_en = content.body.splitlines()[:2]
    assert intro_cy.startswith("Mae Heddlu Dyfed-Powys yn gofyn")
    assert intro_en == INTRO_EN
    # Over the text budget, the force is still named in both languages.
    cut = cut_to_essentials(content.body, [force.name, URL, *content.essentials], 2)
    assert "Heddlu Dyfed-Powys" in cut
    assert "Dyfed-Powys Police" in cut
