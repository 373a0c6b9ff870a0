"""Checking the signature of an Amazon SNS message posted to an HTTP endpoint.

As AWS documents ("Verifying the signatures of Amazon SNS messages"): the signing
certificate is fetched from ``SigningCertURL``, whose host must be one we trust (else anyone
could sign with their own certificate); the string to sign is made of the message's fields
in a fixed order, each name and value on its own line; ``SignatureVersion`` 1 is
SHA1withRSA and 2 is SHA256withRSA over that string. Used by the SMS plugin (SNS delivery
status) and the email plugin (SES events arrive through SNS).
"""

import base64
import binascii
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CertificateFetcher = Callable[[str], Awaitable[bytes]]
"""Fetches the PEM certificate at a URL (already checked against the trusted hosts)."""

_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_FIELDS["UnsubscribeConfirmation"] = _FIELDS["SubscriptionConfirmation"]


class BadSnsSignature(ValueError):
    """The message is not signed by SNS as claimed; the reason says why."""


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The canonical text SNS signs for ``message``."""
    fields = _FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise BadSnsSignature(f"unknown message type {message.get('Type')!r}")
    parts = []
    for name in fields:
        if name in message and message[name] is not None:
            parts.append(f"{name}\n{message[name]}\n")
        elif name != "Subject":
            raise BadSnsSignature(f"the message lacks {name}")
    return "".join(parts).encode()


def check_certificate_url(url: str, trusted_hosts: Collection[str], *, allow_http: bool) -> None:
    """Refuse a ``SigningCertURL`` that is not HTTPS (unless allowed) on a trusted host."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise BadSnsSignature("the signing certificate is not served over HTTPS")
    if parts.netloc not in trusted_hosts:
        raise BadSnsSignature(f"the signing certificate's host {parts.netloc!r} is not trusted")


async def verify_sns_message(
    message: Mapping[str, Any],
    fetch: CertificateFetcher,
    trusted_hosts: Collection[str],
    *,
    allow_http: bool = False,
) -> None:
    """Raise ``BadSnsSignature`` unless ``message`` carries a valid SNS signature."""
    url = str(message.get("SigningCertURL", ""))
    check_certificate_url(url, trusted_hosts, allow_http=allow_http)
    version = str(message.get("SignatureVersion", ""))
    algorithm: hashes.HashAlgorithm
    if version == "1":
        algorithm = hashes.SHA1()  # noqa: S303 (SNS signature version 1 is SHA1withRSA)
    elif version == "2":
        algorithm = hashes.SHA256()
    else:
        raise BadSnsSignature(f"unsupported signature version {version!r}")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except binascii.Error:
        raise BadSnsSignature("the signature is not base64") from None
    try:
        certificate = x509.load_pem_x509_certificate(await fetch(url))
    except ValueError:
        raise BadSnsSignature("the signing certificate cannot be read") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSnsSignature("the signing certificate does not hold an RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise BadSnsSignature("the signature does not match") from None
