"""Fixtures for the email plugin: a platform with notify_email, an SMTP relay (aiosmtpd with
STARTTLS and AUTH, its own certificate), moto for SES, and a Notify peer."""

import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import exhibit_notify_email
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_builtin_plugins
from exhibit.settings import Settings
from tests.fixtures.notify_peers import (
    NOTIFY_EMAIL_TEMPLATE,
    HttpPeer,
    moto_data,
    moto_settings,
    notify_peer,
    notify_section,
    reset_moto,
    running_moto,
    self_signed,
)

SMTP_USER = "exhibit-kent"
SMTP_PASSWORD = "relay-password"
FROM = "evidence@kent.police.uk"
REPLY_TO = "contact@kent.police.uk"
NOTIFY_CALLBACK_TOKEN = "notify-email-callback-token"


@dataclass
class Received:
    """One message the relay accepted, with how the client got there."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None
    tls: bool

    def parsed(self) -> EmailMessage:
        """The message as the recipient's mail program reads it."""
        message = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Relay:
    """The SMTP relay's address, what it received, and scripted refusals of RCPT."""

    host: str
    port: int
    ca_file: str
    received: list[Received] = field(default_factory=list)
    refuse_rcpt: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.relay.refuse_rcpt:
            return self.relay.refuse_rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        assert isinstance(envelope.content, bytes)
        self.relay.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.content,
                login=login,
                tls=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = self_signed(
        "127.0.0.1",
        (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
        (x509.BasicConstraints(ca=True, path_length=None), True),
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    """aiosmtpd on loopback: STARTTLS required, AUTH (only over TLS) required."""
    yield from _relay(tmp_path, implicit_tls=False)


@pytest.fixture
def tls_relay(tmp_path: Path) -> Iterator[Relay]:
    """aiosmtpd on loopback speaking TLS from the first byte (port 465 style), AUTH required."""
    yield from _relay(tmp_path, implicit_tls=True)


def _relay(tmp_path: Path, *, implicit_tls: bool) -> Iterator[Relay]:
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    found = Relay("127.0.0.1", _free_port(), str(cert_file))
    tls: dict[str, Any] = (
        # aiosmtpd only counts STARTTLS as TLS for AUTH; here every byte is TLS already.
        {"ssl_context": context, "auth_require_tls": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        _Handler(found),
        hostname=found.host,
        port=found.port,
        auth_required=True,
        authenticator=_authenticate,
        **tls,
    )
    controller.start()
    try:
        yield found
    finally:
        controller.stop()


def smtp_config(relay: Relay, **extra: Any) -> dict[str, Any]:
    """notify_email settings for the relay."""
    return {
        "provider": "smtp",
        "from_address": FROM,
        "reply_to": REPLY_TO,
        "smtp": smtp_settings(relay),
        **extra,
    }


def smtp_settings(relay: Relay, password: str = SMTP_PASSWORD) -> dict[str, Any]:
    """The ``smtp`` section for the relay."""
    return {
        "host": relay.host,
        "port": relay.port,
        "security": "starttls",
        "username": SMTP_USER,
        "password": {"value": password},
        "ca_file": relay.ca_file,
    }


@pytest.fixture(scope="session")
def email_plugins() -> Plugins:
    """The built-ins plus notify_email."""
    return load_builtin_plugins([("notify_email", exhibit_notify_email)])


@pytest.fixture
async def email_platform(settings: Settings, email_plugins: Plugins) -> AsyncIterator[Platform]:
    """A platform with notify_email over the test's database."""
    platform = Platform(settings, email_plugins)
    yield platform
    await platform.close()


@pytest.fixture
def notify() -> Iterator[HttpPeer]:
    """A GOV.UK Notify peer on loopback."""
    with notify_peer().running() as peer:
        yield peer


def notify_settings(peer: HttpPeer) -> dict[str, Any]:
    """The ``govuk_notify`` section for ``peer``."""
    return notify_section(peer, NOTIFY_EMAIL_TEMPLATE, NOTIFY_CALLBACK_TOKEN)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto in server mode on loopback, for SES."""
    with running_moto() as url:
        yield url


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server, emptied, with the force's domain verified for sending."""
    ses = boto3.client(
        "sesv2",
        endpoint_url=reset_moto(moto_server),
        region_name="eu-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ses.create_email_identity(EmailIdentity="kent.police.uk")
    return moto_server


ses_settings = moto_settings
"""The ``ses`` section for moto."""


def sent_by_ses(moto_url: str) -> list[dict[str, Any]]:
    """The raw messages moto's SES accepted, read back over HTTP."""
    return moto_data(moto_url, "ses", "RawMessage")
