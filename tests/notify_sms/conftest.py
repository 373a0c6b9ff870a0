"""Fixtures for the SMS plugin: a platform with notify_sms, and its providers' peers."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer

import exhibit_notify_sms
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.settings import Settings
from tests.notifications.peers import (
    NOTIFY_API_KEY,
    NOTIFY_SMS_TEMPLATE,
    TWILIO_SID,
    TWILIO_TOKEN,
    HttpPeer,
    notify_peer,
    twilio_peer,
)

NOTIFY_CALLBACK_TOKEN = "notify-callback-token-for-kent"
SENDER = "KentPolice"


@pytest.fixture(scope="session")
def sms_plugins() -> Plugins:
    """The built-ins plus notify_sms, registered as its entry point registers it."""
    return load_builtin_plugins([("notify_sms", exhibit_notify_sms)])


@pytest.fixture
async def sms_platform(settings: Settings, sms_plugins: Plugins) -> AsyncIterator[Platform]:
    """A platform with notify_sms over the test's database."""
    platform = Platform(settings, sms_plugins)
    yield platform
    await platform.close()


@pytest.fixture
def notify() -> Iterator[HttpPeer]:
    """A GOV.UK Notify peer on loopback."""
    with notify_peer().running() as peer:
        yield peer


@pytest.fixture
def twilio() -> Iterator[HttpPeer]:
    """A Twilio peer on loopback."""
    with twilio_peer().running() as peer:
        yield peer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto in server mode on loopback (SNS, SES), for this package's tests only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server, emptied."""
    httpx.post(f"{moto_server}/moto-api/reset").raise_for_status()
    return moto_server


def notify_config(peer: HttpPeer, **extra: Any) -> dict[str, Any]:
    """notify_sms settings for GOV.UK Notify at ``peer``."""
    return {
        "provider": "govuk_notify",
        "sender_id": SENDER,
        "govuk_notify": notify_settings(peer),
        **extra,
    }


def notify_settings(peer: HttpPeer) -> dict[str, Any]:
    """The ``govuk_notify`` section for ``peer``."""
    return {
        "api_key": {"value": NOTIFY_API_KEY},
        "template_id": NOTIFY_SMS_TEMPLATE,
        "base_url": peer.url,
        "callback_token": {"value": NOTIFY_CALLBACK_TOKEN},
    }


def twilio_settings(peer: HttpPeer, token: str = TWILIO_TOKEN) -> dict[str, Any]:
    """The ``twilio`` section for ``peer``."""
    return {"account_sid": TWILIO_SID, "auth_token": {"value": token}, "base_url": peer.url}


def twilio_config(peer: HttpPeer, **extra: Any) -> dict[str, Any]:
    """notify_sms settings for Twilio at ``peer``."""
    return {"provider": "twilio", "sender_id": SENDER, "twilio": twilio_settings(peer), **extra}


def sns_settings(moto_url: str, **extra: Any) -> dict[str, Any]:
    """The ``sns`` section for the moto server."""
    return {
        "region": "eu-west-2",
        "access_key_id": "testing",
        "secret_access_key": {"value": "testing"},
        "endpoint_url": moto_url,
        **extra,
    }


def sent_sms(moto_url: str) -> list[dict[str, Any]]:
    """The text messages moto's SNS has published, read back over HTTP."""
    data = httpx.get(f"{moto_url}/moto-api/data.json").json()
    messages: list[dict[str, Any]] = data["sns"]["SMS"]
    return messages
