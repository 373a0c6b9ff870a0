"""Messages to witnesses give dates and times in UK time (GMT in winter, BST in summer),
as the pages do, never the UTC the database keeps."""

from datetime import UTC, datetime

from exhibit.forces.models import Force
from exhibit.notifications.reminders import reminder_message
from exhibit.uploads.models import EvidenceRequest
from exhibit.uploads.requests import link_message

URL = "https://exhibit.example.police.uk/u/Zk3mQ9vX2bL7nR4tY8wC1dF6hJ0aB5eG7iK9mO1qS3u"


def _force(welsh: bool = False) -> Force:
    return Force(name="Kent Police", contact_details="Call 101.", welsh_enabled=welsh)


def test_a_summer_link_expiring_late_evening_utc_ends_the_next_day_in_the_uk() -> None:
    request = EvidenceRequest(message="", expires_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC))

    body = link_message(_force(), request, URL).body

    assert "The link works until 02 July 2026." in body


def test_a_reminder_gives_the_time_on_the_uk_clock() -> None:
    summer = EvidenceRequest(expires_at=datetime(2026, 7, 1, 14, 30, tzinfo=UTC))
    winter = EvidenceRequest(expires_at=datetime(2026, 12, 1, 14, 30, tzinfo=UTC))

    assert "stops working on 01 July 2026 at 15:30." in reminder_message(_force(), summer, URL).body
    assert "stops working on 01 December 2026 at 14:30." in (
        reminder_message(_force(), winter, URL).body
    )
    welsh = reminder_message(_force(welsh=True), summer, URL).body
    assert "stopio gweithio ar 01 Gorffennaf 2026 am 15:30." in welsh
