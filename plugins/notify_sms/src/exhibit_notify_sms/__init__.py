"""Exhibit plugin ``notify_sms``: text messages through GOV.UK Notify, Twilio or Amazon SNS.

A force enables the plugin with the provider it uses (``provider``), the credentials of
that provider, a fixed alphanumeric ``sender_id`` and optionally a ``fallback`` provider
that takes a message over, once, when the first refuses it for good or stays down. Numbers
are sent in E.164; texts are kept within ``max_segments`` by the core (the link and the
force's name are never cut). Delivery receipts arrive on
``/plugins/notify_sms/callbacks/<force>/<provider>``.
"""

from collections.abc import Sequence

from litestar.types import ControllerRouterHandler

from exhibit.plugins import hookimpl
from exhibit_notify_sms.callbacks import ROUTES
from exhibit_notify_sms.config import Config
from exhibit_notify_sms.govuk_notify import NotifySms
from exhibit_notify_sms.settings_check import check_settings
from exhibit_notify_sms.sns import SnsSms
from exhibit_notify_sms.twilio import TwilioSms


@hookimpl
def exhibit_plugin_config() -> type[Config]:
    """The per-force settings: provider, credentials, sender id, fallback, segment budget."""
    return Config


@hookimpl
def exhibit_notifiers() -> list[type]:
    """One notifier per provider; the force's ``provider`` setting picks one."""
    return [NotifySms, TwilioSms, SnsSms]


@hookimpl
def exhibit_web_routes() -> Sequence[ControllerRouterHandler]:
    """The delivery-receipt routes, one per provider."""
    return ROUTES


@hookimpl
async def exhibit_check_settings(config: Config) -> Sequence[str]:
    """The provider (and the fallback) takes the saved settings, without sending anything:
    Notify's key and template, Twilio's account, SNS's credentials and region.
    """
    return await check_settings(config)
