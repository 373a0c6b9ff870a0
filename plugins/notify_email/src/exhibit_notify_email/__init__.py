"""Exhibit plugin ``notify_email``: email through an SMTP relay, Amazon SES or GOV.UK Notify.

A force enables the plugin with the provider it uses, that provider's settings, its own
From address (and name) and Reply-To, the language of the message's frame (English or
Welsh) and optionally a ``fallback`` provider used once when the first refuses a message
for good or stays down. Messages are multipart (plain text and HTML) and the HTML loads
nothing from anywhere: no images, no tracking. Delivery receipts arrive on
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
from exhibit_notify_email.smtp import SmtpEmail


@hookimpl
def exhibit_plugin_config() -> type[Config]:
    """The per-force settings: provider, credentials, From/Reply-To, language, fallback."""
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
