"""Exhibit plugin ``notify_email``: email through an SMTP relay, Amazon SES or GOV.UK Notify.

A force enables the plugin with the provider it uses, that provider's settings, its own
From address (and name) and Reply-To, and optionally a ``fallback`` provider used once
when the first refuses a message for good or stays down. Messages are multipart (plain text
and HTML) and the HTML loads nothing from anywhere: no images, no tracking; the frame
(heading and footer) is in the message's own languages. Delivery receipts arrive on
``/plugins/notify_email/callbacks/<force>/<provider>`` (Notify; SES through SNS).
"""

from collections.abc import Sequence
from pathlib import Path

from litestar.types import ControllerRouterHandler

from exhibit.plugins import hookimpl
from exhibit_notify_email.callbacks import ROUTES
from exhibit_notify_email.config import Config
from exhibit_notify_email.govuk_notify import NotifyEmail
from exhibit_notify_email.ses import SesEmail
from exhibit_notify_email.settings_check import check_settings
from exhibit_notify_email.smtp import SmtpEmail


@hookimpl
def exhibit_plugin_config() -> type[Config]:
    """The per-force settings: provider, credentials, From/Reply-To, fallback."""
    return Config


@hookimpl
def exhibit_notifiers() -> list[type]:
    """One notifier per provider; the force's ``provider`` setting picks one."""
    return [SmtpEmail, SesEmail, NotifyEmail]


@hookimpl
def exhibit_web_routes() -> Sequence[ControllerRouterHandler]:
    """The delivery-receipt routes (Notify, SES)."""
    return ROUTES


@hookimpl
def exhibit_template_dir() -> Path:
    """The email templates, as ``notify_email/message.html`` and ``message.txt``."""
    return Path(__file__).parent / "templates" / "notify_email"


@hookimpl
async def exhibit_check_settings(config: Config) -> Sequence[str]:
    """The provider (and the fallback) takes the saved settings, without sending anything:
    the relay's login, SES's verified sender, Notify's key and template.
    """
    return await check_settings(config)


@hookimpl
def exhibit_migrations() -> Path:
    """The revisions of this plugin's stored settings (``language`` removed)."""
    return Path(__file__).parent / "migrations"
