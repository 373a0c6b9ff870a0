"""The text message settings check against each provider's peer on loopback: it says in words
what an administrator must change, and sends no text."""

import uuid
from collections.abc import Mapping

import pytest

from exhibit.forces.plugin_checks import check_plugin
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import free_port, invoke_exhibit
from tests.fixtures.notify_peers import (
    NOTIFY_EMAIL_TEMPLATE,
    NOTIFY_SERVICE_ID,
    TWILIO_ACCOUNT,
    TWILIO_SID,
    HttpPeer,
    moto_checking_credentials,
)
from tests.notifications.helpers import make_force
from tests.notify_sms.conftest import (
    SENDER,
    notify_config,
    notify_settings,
    sent_sms,
    sns_settings,
    twilio_config,
    twilio_settings,
)

pytestmark = pytest.mark.asyncio


async def _check(platform: Platform, config: Mapping[str, object]) -> list[str]:
    kent = await make_force(platform, "kent", "notify_sms", config)
    return await check_plugin(platform, kent, "notify_sms")


def _sns_config(moto: str, **settings: object) -> dict[str, object]:
    return {"provider": "sns", "sender_id": SENDER, "sns": sns_settings(moto, **settings)}


def _notify_with(notify: HttpPeer, **settings: object) -> dict[str, object]:
    return notify_config(notify, govuk_notify=notify_settings(notify) | settings)


async def test_notify_with_the_key_and_a_text_template_passes_and_sends_nothing(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    assert await _check(sms_platform, notify_config(notify)) == []
    assert [r.method for r in notify.requests] == ["GET"]


async def test_notify_refusing_the_key_says_so_without_the_key(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    secret = str(uuid.uuid4())
    config = _notify_with(notify, api_key={"value": f"exhibit_test-{NOTIFY_SERVICE_ID}-{secret}"})
    (problem,) = await _check(sms_platform, config)
    assert problem.startswith("GOV.UK Notify refused the API key (403: Invalid token")
    assert problem.endswith("check api_key (a live key of the force's service, copied whole)")
    assert secret not in problem


async def test_notify_without_the_template_says_correct_template_id(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    missing = str(uuid.uuid4())
    (problem,) = await _check(sms_platform, _notify_with(notify, template_id=missing))
    assert problem == (
        f"GOV.UK Notify has no template {missing} in the key's service (404: No result found): "
        "correct template_id"
    )


async def test_notify_with_an_email_template_says_it_is_not_a_text_one(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    config = _notify_with(notify, template_id=NOTIFY_EMAIL_TEMPLATE)
    (problem,) = await _check(sms_platform, config)
    assert problem.startswith(f"GOV.UK Notify template {NOTIFY_EMAIL_TEMPLATE} is a email")


async def test_a_template_id_that_is_no_uuid_is_refused_before_asking_notify(
    sms_platform: Platform, notify: HttpPeer
) -> None:
    (problem,) = await _check(sms_platform, _notify_with(notify, template_id="evidence-link"))
    assert problem.startswith("template_id 'evidence-link' is not a Notify template id")
    assert notify.requests == []


async def test_twilio_with_the_right_token_passes_and_sends_nothing(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    assert await _check(sms_platform, twilio_config(twilio)) == []
    (request,) = twilio.requests
    assert (request.method, request.path) == ("GET", f"/2010-04-01/Accounts/{TWILIO_SID}.json")


async def test_twilio_refusing_the_token_names_the_sid_not_the_token(
    sms_platform: Platform, twilio: HttpPeer
) -> None:
    config = twilio_config(twilio, twilio=twilio_settings(twilio, token="not-the-token"))
    assert await _check(sms_platform, config) == [
        f"Twilio refused the account SID {TWILIO_SID} with the auth token (401: 20003 "
        "Authenticate): check account_sid and auth_token"
    ]


async def test_a_twilio_trial_account_is_reported(sms_platform: Platform, twilio: HttpPeer) -> None:
    twilio.fail_next((200, TWILIO_ACCOUNT | {"type": "Trial"}))
    (problem,) = await _check(sms_platform, twilio_config(twilio))
    assert problem.startswith(f"the Twilio account {TWILIO_SID} is a trial account")


async def test_twilio_that_does_not_answer_is_unreachable(sms_platform: Platform) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = {
        "provider": "twilio",
        "sender_id": SENDER,
        "twilio": twilio_settings(HttpPeer(lambda _: (200, {}))) | {"base_url": url},
    }
    (problem,) = await _check(sms_platform, config)
    assert problem.startswith(f"Twilio did not answer at {url} (ConnectError)")


async def test_sns_answering_passes_and_sends_nothing(sms_platform: Platform, moto: str) -> None:
    assert await _check(sms_platform, _sns_config(moto)) == []
    assert sent_sms(moto) == []


async def test_sns_refusing_the_credentials_says_which_to_check(
    sms_platform: Platform, moto: str
) -> None:
    with moto_checking_credentials(moto):
        assert await _check(sms_platform, _sns_config(moto)) == [
            "SNS refused the credentials (HTTP 403 InvalidClientTokenId): check access_key_id "
            "and secret_access_key"
        ]


async def test_sns_that_does_not_answer_is_unreachable(sms_platform: Platform) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    (problem,) = await _check(sms_platform, _sns_config(url))
    assert problem.startswith(f"SNS did not answer at {url} (EndpointConnectionError)")


async def test_a_receipts_topic_sns_does_not_have_is_reported(
    sms_platform: Platform, moto: str
) -> None:
    topic = "arn:aws:sns:eu-west-2:123456789012:exhibit-receipts"
    (problem,) = await _check(sms_platform, _sns_config(moto, topic_arn=topic))
    assert problem.startswith(f"SNS has no topic {topic}: delivery receipts would never arrive")


async def test_the_fallback_is_checked_too_and_named(
    sms_platform: Platform, notify: HttpPeer, twilio: HttpPeer
) -> None:
    config = notify_config(
        notify,
        fallback="twilio",
        twilio=twilio_settings(twilio, token="not-the-token"),
    )
    (problem,) = await _check(sms_platform, config)
    assert problem.startswith(f"fallback: Twilio refused the account SID {TWILIO_SID}")


async def test_exhibit_force_check_reports_a_refused_token_and_exits_1(
    settings: Settings, sms_platform: Platform, twilio: HttpPeer
) -> None:
    await make_force(sms_platform, "kent", "notify_sms", twilio_config(twilio))
    done = invoke_exhibit(settings, "force", "check", "kent", "notify_sms")
    assert done.returncode == 0, done.stderr
    assert "notify_sms: settings checked, no problem" in done.stdout

    twilio.fail_next((401, {"code": 20003, "message": "Authenticate", "status": 401}))
    done = invoke_exhibit(settings, "force", "check", "kent", "notify_sms")
    assert done.returncode == 1
    assert (
        f"problem: notify_sms: Twilio refused the account SID {TWILIO_SID} with the auth token"
        in done.stderr
    )
    assert "twilio-auth-token" not in done.stderr + done.stdout
