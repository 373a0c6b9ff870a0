"""Each email provider against its peer on loopback: the message as delivered, and failures."""

import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import jwt
import pytest

from exhibit.forces.transaction import force_transaction
from exhibit.notifications.models import DeliveryStatus
from exhibit.notifications.service import MessageContent, queue_message
from exhibit.platform import Platform
from tests.fixtures.notify_peers import (
    NOTIFY_EMAIL_TEMPLATE,
    NOTIFY_SECRET,
    NOTIFY_SERVICE_ID,
    HttpPeer,
)
from tests.notifications.helpers import LINK, history, make_due, make_force, queue, run_jobs
from tests.notifications.helpers import notification as stored
from tests.notify_email.conftest import (
    FROM,
    REPLY_TO,
    SMTP_USER,
    Relay,
    notify_settings,
    sent_by_ses,
    ses_settings,
    smtp_config,
    smtp_settings,
)

WITNESS = "witness@example.org"
SUBJECT = "Kent Police: please send your evidence"


def _check_message(message: EmailMessage) -> tuple[str, str]:
    """Headers and structure every email must have; returns its text and HTML parts."""
    assert message["From"] == f"Kent Police <{FROM}>"
    assert message["Reply-To"] == REPLY_TO
    assert message["To"] == WITNESS
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"].endswith("@kent.police.uk>")
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    text, html = (str(p.get_content()) for p in parts)
    assert LINK in text
    assert f'<a href="{LINK}"' in html
    # Nothing is loaded from anywhere: no images, no remote styles, no tracking pixel.
    lowered = html.lower()
    assert "<img" not in lowered and "src=" not in lowered and "url(" not in lowered
    assert "<link" not in lowered and "@import" not in lowered
    assert lowered.count("href=") == 1
    return text, html


async def test_smtp_delivers_a_multipart_message_over_starttls_with_login(
    email_platform: Platform, relay: Relay
) -> None:
    kent = await make_force(email_platform, "kent", "notify_email", smtp_config(relay))
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    (received,) = relay.received
    assert (received.tls, received.login) == (True, SMTP_USER)
    assert (received.mail_from, received.rcpt_tos) == (FROM, [WITNESS])
    email = received.parsed()
    text, html = _check_message(email)
    assert "A message from Kent Police" in text
    assert '<html lang="en">' in html
    row = await stored(email_platform, kent, message)
    assert row.status == DeliveryStatus.SENT
    assert row.provider_reference == email["Message-ID"].strip("<>")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_over_implicit_tls(email_platform: Platform, tls_relay: Relay) -> None:
    settings = {**smtp_settings(tls_relay), "security": "tls"}
    kent = await make_force(
        email_platform, "kent", "notify_email", smtp_config(tls_relay, smtp=settings)
    )
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    (received,) = tls_relay.received
    assert (received.tls, received.login) == (True, SMTP_USER)
    _check_message(received.parsed())
    assert (await stored(email_platform, kent, message)).status == DeliveryStatus.SENT


async def test_the_frame_follows_the_languages_of_each_message(
    email_platform: Platform, relay: Relay
) -> None:
    """A Welsh force's link goes in Welsh and English, its English receipt in English: the
    heading, footer and Content-Language say the same as the message, not one setting."""
    kent = await make_force(email_platform, "kent", "notify_email", smtp_config(relay))
    for languages in (("cy", "en"), ("en",)):
        async with force_transaction(email_platform, kent) as tx:
            await queue_message(
                tx.session,
                email_platform.secret_box,
                kent,
                channel="email",
                recipient=WITNESS,
                content=MessageContent(
                    subject=SUBJECT,
                    body=f"Lanlwythwch / Upload: {LINK}",
                    link=LINK,
                    languages=languages,
                ),
                purpose="upload_link",
            )

    await run_jobs(email_platform)

    both, english = (received.parsed() for received in relay.received)
    text, html = _check_message(both)
    assert '<html lang="cy">' in html
    assert "Neges gan Kent Police / A message from Kent Police" in text
    assert "Anfonwyd y neges hon gan Kent Police" in html and "This message was sent by" in html
    assert both["Content-Language"] == "cy, en"
    text, html = _check_message(english)
    assert '<html lang="en">' in html and "Neges" not in text and "Anfonwyd" not in html
    assert english["Content-Language"] == "en"


async def test_smtp_with_a_wrong_password_fails_permanently(
    email_platform: Platform, relay: Relay
) -> None:
    config = smtp_config(relay, smtp=smtp_settings(relay, password="wrong"))
    kent = await make_force(email_platform, "kent", "notify_email", config)
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    assert relay.received == []
    status, detail = (await history(email_platform, kent, message))[-1]
    assert status == "failed_permanently"
    assert detail.startswith("the relay answered 535")


async def test_smtp_4xx_is_retried_and_delivered(email_platform: Platform, relay: Relay) -> None:
    kent = await make_force(email_platform, "kent", "notify_email", smtp_config(relay))
    relay.refuse_rcpt.append("451 4.3.0 Mailbox temporarily unavailable")
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)
    await make_due(email_platform)
    await run_jobs(email_platform)

    assert [s for s, _ in await history(email_platform, kent, message)] == [
        "queued",
        "sending",
        "failed_temporarily",
        "sending",
        "sent",
    ]
    assert len(relay.received) == 1


async def test_a_refused_address_goes_through_ses_as_fallback_once(
    email_platform: Platform, relay: Relay, moto: str
) -> None:
    config = smtp_config(relay, fallback="ses", ses=ses_settings(moto))
    kent = await make_force(email_platform, "kent", "notify_email", config)
    relay.refuse_rcpt.append("550 5.1.1 No such user here")
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    assert relay.received == []
    (raw,) = sent_by_ses(moto)
    assert raw["source"] == FROM
    _check_message(_parsed(raw["raw_data"]))
    steps = await history(email_platform, kent, message)
    assert steps[2] == ("failed_permanently", "the relay refused the recipient ([550])")
    row = await stored(email_platform, kent, message)
    assert (row.status, row.provider, row.used_fallback) == (
        DeliveryStatus.SENT,
        "notify_email:ses",
        True,
    )
    assert row.provider_reference == raw["id"]


async def test_ses_sends_our_mime_message(email_platform: Platform, moto: str) -> None:
    config = {
        "provider": "ses",
        "from_address": FROM,
        "reply_to": REPLY_TO,
        "ses": ses_settings(moto),
    }
    kent = await make_force(email_platform, "kent", "notify_email", config)
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    (raw,) = sent_by_ses(moto)
    assert WITNESS in raw["destinations"]
    _check_message(_parsed(raw["raw_data"]))
    row = await stored(email_platform, kent, message)
    assert (row.status, row.provider_reference) == (DeliveryStatus.SENT, raw["id"])


async def test_ses_refusing_an_unverified_sender_is_permanent(
    email_platform: Platform, moto: str
) -> None:
    config = {
        "provider": "ses",
        "from_address": "evidence@essex.police.uk",
        "ses": ses_settings(moto),
    }
    kent = await make_force(email_platform, "kent", "notify_email", config)
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    assert sent_by_ses(moto) == []
    status, detail = (await history(email_platform, kent, message))[-1]
    assert status == "failed_permanently"
    assert detail.startswith("SES refused the message: MessageRejected")


async def test_notify_email_gets_a_signed_request_with_subject_and_body(
    email_platform: Platform, notify: HttpPeer
) -> None:
    config = {
        "provider": "govuk_notify",
        "from_address": FROM,
        "govuk_notify": notify_settings(notify),
    }
    kent = await make_force(email_platform, "kent", "notify_email", config)
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)

    (request,) = notify.requests
    assert request.path == "/v2/notifications/email"
    claims = jwt.decode(
        request.headers["authorization"].removeprefix("Bearer "),
        NOTIFY_SECRET,
        algorithms=["HS256"],
    )
    assert claims["iss"] == NOTIFY_SERVICE_ID and abs(claims["iat"] - time.time()) < 30
    body = request.json()
    assert body["email_address"] == WITNESS
    assert body["template_id"] == NOTIFY_EMAIL_TEMPLATE
    assert body["personalisation"]["subject"] == SUBJECT
    assert LINK in body["personalisation"]["body"]
    row = await stored(email_platform, kent, message)
    assert (row.status, row.provider) == (DeliveryStatus.SENT, "notify_email:govuk_notify")


async def test_notify_email_503_is_retried(email_platform: Platform, notify: HttpPeer) -> None:
    config = {
        "provider": "govuk_notify",
        "from_address": FROM,
        "govuk_notify": notify_settings(notify),
    }
    kent = await make_force(email_platform, "kent", "notify_email", config)
    notify.fail_next((503, {"errors": [{"error": "Unavailable", "message": "try later"}]}))
    message = await queue(email_platform, kent, WITNESS, channel="email")

    await run_jobs(email_platform)
    await make_due(email_platform)
    await run_jobs(email_platform)

    steps = await history(email_platform, kent, message)
    assert steps[2] == ("failed_temporarily", "provider answered 503: try later")
    assert steps[-1][0] == "sent"


def _parsed(raw: str) -> EmailMessage:
    message = message_from_bytes(raw.encode(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_a_malformed_notify_key_read_when_sending_fails_at_once_not_after_retries(
    email_platform: Platform, notify: HttpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = notify_settings(notify) | {"api_key": {"env": "EXHIBIT_FORCE_KENT_NOTIFY_KEY"}}
    config = {"provider": "govuk_notify", "from_address": FROM, "govuk_notify": settings}
    kent = await make_force(email_platform, "kent", "notify_email", config)
    monkeypatch.setenv("EXHIBIT_FORCE_KENT_NOTIFY_KEY", "NOTIFYKEY-SEKRIT-PG")
    message = await queue(email_platform, kent, WITNESS, channel="email")

    assert await run_jobs(email_platform) == 1
    await make_due(email_platform)
    assert await run_jobs(email_platform) == 0, "not retried"

    assert notify.requests == []
    status, detail = (await history(email_platform, kent, message))[-1]
    assert status == "failed_permanently"
    assert "name-serviceid-secret" in detail and "SEKRIT" not in detail
