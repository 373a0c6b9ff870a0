"""Segment counting and fitting a text to its budget without losing the link or the force."""

import pytest

from exhibit.notifications.sms_budget import (
    cut_to_essentials,
    fit_to_segments,
    gsm_lookalikes,
    segment_count,
)

LINK = "https://exhibit.example.police.uk/u/Zk3mQ9vX2bL7nR4tY8wC1dF6hJ0"


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("[" * 80, 1),  # extension characters take two septets each
        ("[" * 81, 2),
        ("ŵ" * 70, 1),  # Welsh w-circumflex is not GSM: UCS-2, 70 a segment
        ("ŵ" * 71, 2),
        ("ŵ" * 134, 2),
        ("ŵ" * 135, 3),
    ],
)
def test_segments_are_counted_as_networks_count_them(text: str, segments: int) -> None:
    assert segment_count(text) == segments


def test_a_message_within_budget_is_unchanged() -> None:
    body = f"Kent Police asks for your video.\nUpload here: {LINK}"
    assert fit_to_segments(body, [LINK, "Kent Police"], 1) == body


@pytest.mark.parametrize("budget", [2, 3])
def test_the_officers_words_are_cut_first_and_the_link_and_force_survive(budget: int) -> None:
    officer = "Please send the video of the red car you saw on Tuesday evening. " * 10
    body = "\n".join(
        [
            "Dyfed-Powys Police is asking you to send photos or videos as evidence.",
            officer.strip(),
            f"Upload them securely here: {LINK}",
            "The link works until 02 December 2026. Do not share it.",
            "Questions: call 101",
        ]
    )

    fitted = fit_to_segments(body, [LINK, "Dyfed-Powys Police"], budget)

    assert segment_count(fitted) <= budget
    assert f"Upload them securely here: {LINK}" in fitted
    assert "Dyfed-Powys Police is asking you" in fitted


def test_when_even_the_kept_lines_are_too_long_only_force_and_link_remain() -> None:
    force = "Police Service of Northern Ireland"
    body = f"{force} is asking you to send photos or videos as evidence, please.\n"
    body += f"Upload them securely here: {LINK}\nQuestions: call 101"
    fitted = fit_to_segments(body, [force, LINK], 1)
    assert fitted == f"{force}\n{LINK}"


def test_a_text_in_two_languages_over_budget_drops_optional_lines_in_both_at_once() -> None:
    expiry = ("Mae'r ddolen yn gweithio tan 02 Rhagfyr 2026.", "The link works until 02 December.")
    body = "\n".join(
        [
            "Mae Heddlu Gwent yn gofyn i chi anfon lluniau.",
            "Heddlu Gwent is asking you to send photos.",
            f"Upload: {LINK}",
            *expiry,
            "Cwestiynau: " + "ffoniwch 101 a rhowch eich cyfeirnod " * 3,
            "Questions: " + "call 101 and quote your reference " * 3,
        ]
    )
    keep = ["Heddlu Gwent", LINK, *expiry]

    assert cut_to_essentials(body, keep, 4) == body  # within budget: unchanged
    assert cut_to_essentials(body, keep, 2).splitlines() == [
        "Mae Heddlu Gwent yn gofyn i chi anfon lluniau.",
        "Heddlu Gwent is asking you to send photos.",
        f"Upload: {LINK}",
        *expiry,
    ]


def test_a_line_is_never_cut_to_a_stub_such_as_a_hash_without_its_value() -> None:
    intro = "Kent Police has received your evidence. Reference: KEN-2026-ABCD-1234"
    files = [f"IMG_{n:04d}.HEIC (1234567 bytes)\nSHA-256: {str(n) * 64}" for n in range(4)]
    body = "\n".join([intro, *files])
    body += "\nQuestions: call 101" + "." * (3 * 153 + 2 - len(body) - 20)
    assert segment_count(body) == 4  # a few characters over the budget

    fitted = fit_to_segments(body, ["Kent Police"], 3)

    assert segment_count(fitted) <= 3
    assert all(line in body.splitlines() for line in fitted.splitlines())  # whole or gone
    assert intro in fitted


def test_typographic_punctuation_becomes_gsm_and_welsh_letters_stay() -> None:
    assert gsm_lookalikes("Tesco\u2019s \u201cblue\u201d car \u2013 ok\u2026") == (
        'Tesco\'s "blue" car - ok...'
    )
    assert gsm_lookalikes("Gŵyl ym Mhen-y-bont, tŷ") == "Gŵyl ym Mhen-y-bont, tŷ"
