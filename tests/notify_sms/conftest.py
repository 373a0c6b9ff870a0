"""Fixtures for the SMS plugin: a platform with notify_sms, and its providers' peers."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import exhibit_notify_sms
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.settings import Settings
from tests.fixtures.notify_peers import (
    NOTIFY_SMS_TEMPLATE,
    TWILIO_SID,
    TWILIO_TOKEN,
    HttpPeer,
    moto_data,
    moto_settings,
    notify_peer,
    notify_section,
    reset_moto,
    running_moto,
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
    """moto in server mode on loopback (SNS), for this package's tests only."""
    with running_moto() as url:
        yield url


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server, emptied."""
    return reset_moto(moto_server)


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
    return notify_section(peer, NOTIFY_SMS_TEMPLATE, NOTIFY_CALLBACK_TOKEN)


def twilio_settings(peer: HttpPeer, token: str = TWILIO_TOKEN) -> dict[str, Any]:
    """The ``twilio`` section for ``peer``."""
    return {"account_sid": TWILIO_SID, "auth_token": {"value": token}, "base_url": peer.url}


def twilio_config(peer: HttpPeer, **extra: Any) -> dict[str, Any]:
    """notify_sms settings for Twilio at ``peer``."""
    return {"provider": "twilio", "sender_id": SENDER, "twilio": twilio_settings(peer), **extra}


sns_settings = moto_settings
"""The ``sns`` section for the moto server."""


def sent_sms(moto_url: str) -> list[dict[str, Any]]:
    """The text messages moto's SNS has published, read back over HTTP.

    moto leaves a service out of its data until something used it: none sent then.
    """
    try:
        return moto_data(moto_url, "sns", "SMS")
    except KeyError:
        return []
