"""The email settings check against each provider's peer on loopback: it says in words what
an administrator must change, and sends nothing (no MAIL FROM, no message, no POST)."""

import html
import uuid
from collections.abc import Mapping

import pytest
from litestar.testing import AsyncTestClient

from exhibit.accounts.models import Role
from exhibit.forces.plugin_checks import check_plugin
from exhibit.platform import Platform
from exhibit.plugins.manager import load_plugins
from exhibit.settings import Settings
from exhibit.web.app import create_app
from tests.fixtures.cli import free_port
from tests.fixtures.notify_peers import (
    NOTIFY_SERVICE_ID,
    NOTIFY_SMS_TEMPLATE,
    HttpPeer,
    moto_checking_credentials,
)
from tests.fixtures.officer import HOST, submit
from tests.fixtures.two_factor import make_enrolled_user, sign_in_with_code
from tests.notifications.helpers import make_force
from tests.notify_email.conftest import (
    FROM,
    SMTP_PASSWORD,
    SMTP_USER,
    Relay,
    notify_settings,
    sent_by_ses,
    ses_settings,
    smtp_config,
    smtp_settings,
)

pytestmark = pytest.mark.asyncio


async def _check(platform: Platform, config: Mapping[str, object]) -> list[str]:
    kent = await make_force(platform, "kent", "notify_email", config)
    return await check_plugin(platform, kent, "notify_email")


def _ses_config(moto: str, **extra: object) -> dict[str, object]:
    return {"provider": "ses", "from_address": FROM, "ses": ses_settings(moto), **extra}


def _notify_config(notify: HttpPeer, **settings: object) -> dict[str, object]:
    section = notify_settings(notify) | settings
    return {"provider": "govuk_notify", "from_address": FROM, "govuk_notify": section}


async def test_smtp_that_takes_the_login_passes_and_nothing_is_sent(
    email_platform: Platform, relay: Relay
) -> None:
    assert await _check(email_platform, smtp_config(relay)) == []
    assert relay.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_over_implicit_tls_passes(email_platform: Platform, tls_relay: Relay) -> None:
    settings = {**smtp_settings(tls_relay), "security": "tls"}
    assert await _check(email_platform, smtp_config(tls_relay, smtp=settings)) == []


async def test_a_wrong_smtp_password_is_named_without_the_password(
    email_platform: Platform, relay: Relay
) -> None:
    config = smtp_config(relay, smtp=smtp_settings(relay, password="not-the-password"))
    (problem,) = await _check(email_platform, config)
    where = f"{relay.host}:{relay.port}"
    assert problem == (
        f"the SMTP server at {where} refused the login for user '{SMTP_USER}' (535): "
        "check username and password"
    )
    assert "not-the-password" not in problem and SMTP_PASSWORD not in problem


async def test_an_smtp_host_nobody_answers_on_is_unreachable(email_platform: Platform) -> None:
    port = free_port()
    config = {
        "provider": "smtp",
        "from_address": FROM,
        "smtp": {"host": "127.0.0.1", "port": port, "username": SMTP_USER},
    }
    (problem,) = await _check(email_platform, config)
    assert problem.startswith(f"no SMTP server answered at 127.0.0.1:{port}")
    assert problem.endswith("check host and port, and that this server may reach it")


async def test_a_relay_certificate_the_server_does_not_trust_is_explained(
    email_platform: Platform, relay: Relay
) -> None:
    settings = smtp_settings(relay) | {"ca_file": None}
    (problem,) = await _check(email_platform, smtp_config(relay, smtp=settings))
    assert problem.startswith(f"the SMTP server at {relay.host}:{relay.port} showed a certificate")
    assert "set ca_file" in problem


async def test_smtp_without_tls_against_a_relay_that_wants_it_is_refused_in_words(
    email_platform: Platform, relay: Relay
) -> None:
    settings = smtp_settings(relay) | {"security": "none"}
    (problem,) = await _check(email_platform, smtp_config(relay, smtp=settings))
    assert problem == (
        f"the SMTP server at {relay.host}:{relay.port} offers no login over a connection "
        "without TLS: set security to 'starttls' (port 587) or 'tls' (port 465)"
    )


async def test_ses_with_a_verified_domain_passes_and_sends_nothing(
    email_platform: Platform, moto: str
) -> None:
    assert await _check(email_platform, _ses_config(moto)) == []
    assert sent_by_ses(moto) == []


async def test_ses_without_the_from_address_or_its_domain_says_verify_it(
    email_platform: Platform, moto: str
) -> None:
    config = _ses_config(moto, from_address="evidence@essex.police.uk")
    assert await _check(email_platform, config) == [
        "SES in region eu-west-2 has neither evidence@essex.police.uk nor essex.police.uk as a "
        "verified identity: verify one in SES there, or correct from_address or region"
    ]


async def test_ses_refusing_the_credentials_says_which_to_check(
    email_platform: Platform, moto: str
) -> None:
    with moto_checking_credentials(moto):
        (problem,) = await _check(email_platform, _ses_config(moto))
    assert problem.startswith("SES refused the credentials (HTTP 403")
    assert problem.endswith("check access_key_id and secret_access_key")


async def test_ses_that_does_not_answer_is_unreachable(email_platform: Platform) -> None:
    moto = f"http://127.0.0.1:{free_port()}"
    (problem,) = await _check(email_platform, _ses_config(moto))
    assert problem.startswith(f"SES did not answer at {moto} (EndpointConnectionError)")


async def test_ses_without_the_named_configuration_set_says_so(
    email_platform: Platform, moto: str
) -> None:
    settings = ses_settings(moto, configuration_set="exhibit-events")
    (problem,) = await _check(email_platform, _ses_config(moto, ses=settings))
    assert problem.startswith("SES in region eu-west-2 has no configuration set 'exhibit-events'")


async def test_notify_with_the_key_and_an_email_template_passes_and_sends_nothing(
    email_platform: Platform, notify: HttpPeer
) -> None:
    assert await _check(email_platform, _notify_config(notify)) == []
    assert [(r.method, r.path.split("/")[2]) for r in notify.requests] == [("GET", "template")]


async def test_notify_refusing_the_key_says_so_without_the_key(
    email_platform: Platform, notify: HttpPeer
) -> None:
    other_key = f"exhibit_test-{NOTIFY_SERVICE_ID}-{uuid.uuid4()}"
    config = _notify_config(notify, api_key={"value": other_key})
    (problem,) = await _check(email_platform, config)
    assert problem.startswith("GOV.UK Notify refused the API key (403: Invalid token")
    assert other_key.rsplit("-", 5)[-1] not in problem


async def test_notify_without_the_template_says_correct_template_id(
    email_platform: Platform, notify: HttpPeer
) -> None:
    missing = str(uuid.uuid4())
    (problem,) = await _check(email_platform, _notify_config(notify, template_id=missing))
    assert problem == (
        f"GOV.UK Notify has no template {missing} in the key's service (404: No result found): "
        "correct template_id"
    )


async def test_notify_with_a_text_message_template_says_it_is_not_an_email_one(
    email_platform: Platform, notify: HttpPeer
) -> None:
    config = _notify_config(notify, template_id=NOTIFY_SMS_TEMPLATE)
    (problem,) = await _check(email_platform, config)
    assert problem.startswith(f"GOV.UK Notify template {NOTIFY_SMS_TEMPLATE} is a sms template")


async def test_notify_that_does_not_answer_says_check_base_url(email_platform: Platform) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = {
        "provider": "govuk_notify",
        "from_address": FROM,
        "govuk_notify": {**notify_settings(HttpPeer(lambda _: (200, {}))), "base_url": url},
    }
    assert await _check(email_platform, config) == [
        f"GOV.UK Notify did not answer at {url}: check base_url"
    ]


async def test_the_fallback_is_checked_too_and_named(
    email_platform: Platform, relay: Relay, moto: str
) -> None:
    config = smtp_config(relay, fallback="ses", ses=ses_settings(moto))
    config["from_address"] = "evidence@essex.police.uk"
    (problem,) = await _check(email_platform, config)
    assert problem.startswith("fallback: SES in region eu-west-2 has neither")


async def test_the_admin_page_reports_a_refused_login_in_words(
    settings: Settings, email_platform: Platform, relay: Relay
) -> None:
    config = smtp_config(relay, smtp=smtp_settings(relay, password="not-the-password"))
    await make_force(email_platform, "kent", "notify_email", config)
    admin = await make_enrolled_user(email_platform, role=Role.FORCE_ADMIN, name="Ada Admin")
    async with AsyncTestClient(
        app=create_app(settings, load_plugins()), base_url=f"http://{HOST}"
    ) as client:
        await sign_in_with_code(client, admin)
        assert "Check the saved settings" in (await client.get("/admin/plugins/notify_email")).text
        checked = await submit(client, "/admin/plugins/notify_email/check", {})
    text = html.unescape(checked.text)
    assert checked.status_code == 200
    assert "notify_email cannot work with these settings yet" in text
    assert f"refused the login for user '{SMTP_USER}' (535): check username and password" in text
    assert "not-the-password" not in text
    assert relay.received == []
