"""Protocol peers for the delivery tests: small HTTP servers on loopback that speak the
documented APIs of GOV.UK Notify and Twilio, and serve an SNS signing certificate.

Each peer checks authentication as the real service does (Notify: a JWT signed with the
API key's secret, ``iss`` = service id, recent ``iat``; Twilio: HTTP basic with the account
SID and auth token), validates the request, records it, and answers with the documented
success body or error. ``fail_next`` scripts error answers (status code and body).
"""

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from exhibit.notifications.sns_signature import string_to_sign

NOTIFY_SERVICE_ID = "3f9ba9a1-6b6e-4a1c-9b2b-4f5d2b6c8e10"
NOTIFY_SECRET = "7d1b5f0e-2c3a-4b5d-8e9f-0a1b2c3d4e5f"
NOTIFY_API_KEY = f"exhibit_test-{NOTIFY_SERVICE_ID}-{NOTIFY_SECRET}"
NOTIFY_SMS_TEMPLATE = "a1b2c3d4-0000-4000-8000-000000000001"
NOTIFY_EMAIL_TEMPLATE = "a1b2c3d4-0000-4000-8000-000000000002"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-for-tests"


@dataclass
class Recorded:
    """One request the peer received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body as a form (one value per name)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


Answer = tuple[int, dict[str, Any] | bytes]


@dataclass
class HttpPeer:
    """A threaded HTTP server on 127.0.0.1 answering with ``respond``."""

    respond: Callable[[Recorded], Answer]
    requests: list[Recorded] = field(default_factory=list)
    scripted: list[Answer] = field(default_factory=list)
    url: str = ""

    def fail_next(self, *answers: Answer) -> None:
        """Answer the next requests with these (status, body) pairs, in order."""
        self.scripted.extend(answers)

    @contextmanager
    def running(self) -> Iterator["HttpPeer"]:
        """Serve until the block ends."""
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                peer.requests.append(recorded)
                status, body = peer.scripted.pop(0) if peer.scripted else peer.respond(recorded)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                kind = "application/json" if not isinstance(body, bytes) else "text/plain"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def notify_peer() -> HttpPeer:
    """GOV.UK Notify's v2 API: POST /v2/notifications/sms and /v2/notifications/email."""

    def respond(request: Recorded) -> Answer:
        auth = request.headers.get("authorization", "")
        try:
            claims = jwt.decode(
                auth.removeprefix("Bearer "),
                NOTIFY_SECRET,
                algorithms=["HS256"],
                options={"require": ["iss", "iat"]},
            )
            if claims["iss"] != NOTIFY_SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
                raise jwt.InvalidTokenError("iss or iat")
        except jwt.InvalidTokenError:
            return 403, _notify_error(
                403, "AuthError", "Invalid token: signature, api token not found"
            )
        body = request.json()
        if request.path == "/v2/notifications/sms":
            template, field_name = NOTIFY_SMS_TEMPLATE, "phone_number"
        elif request.path == "/v2/notifications/email":
            template, field_name = NOTIFY_EMAIL_TEMPLATE, "email_address"
        else:
            return 404, _notify_error(404, "NotFound", "no such endpoint")
        if body.get("template_id") != template:
            return 400, _notify_error(400, "BadRequestError", "Template not found")
        if not body.get(field_name) or "body" not in body.get("personalisation", {}):
            return 400, _notify_error(400, "BadRequestError", "Missing personalisation: body")
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": {"body": body["personalisation"]["body"]},
            "uri": f"/v2/notifications/{notification_id}",
            "template": {"id": template, "version": 1, "uri": f"/v2/template/{template}"},
        }

    return HttpPeer(respond)


def _notify_error(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


def twilio_peer() -> HttpPeer:
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json (basic auth)."""
    expected_auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()

    def respond(request: Recorded) -> Answer:
        if request.headers.get("authorization") != expected_auth:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if request.path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            return 404, {"code": 20404, "message": "not found", "status": 404}
        form = request.form()
        if not form.get("To", "").startswith("+") or not form.get("Body"):
            number = form.get("To", "")
            message = f"The 'To' number {number} is not a valid phone number."
            return 400, {"code": 21211, "message": message, "status": 400}
        return 201, {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": TWILIO_SID,
            "to": form["To"],
            "from": form.get("From"),
            "body": form["Body"],
            "status": "queued",
        }

    return HttpPeer(respond)


@dataclass
class SnsSigner:
    """Our own SNS signing key and certificate, served by a peer, to sign test messages."""

    key: rsa.RSAPrivateKey
    pem: bytes
    cert_url: str = ""

    @classmethod
    def create(cls) -> "SnsSigner":
        """A fresh RSA key with a self-signed certificate."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        return cls(key=key, pem=cert.public_bytes(serialization.Encoding.PEM))

    def sign(self, message: dict[str, Any], version: str = "2") -> dict[str, Any]:
        """``message`` with ``SignatureVersion``, ``SigningCertURL`` and ``Signature`` added."""
        signed = {**message, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), algorithm)
        return {**signed, "Signature": base64.b64encode(signature).decode()}


def certificate_peer(signer: SnsSigner) -> HttpPeer:
    """Serves the signer's certificate at /SimpleNotificationService-test.pem."""

    def respond(request: Recorded) -> Answer:
        if request.path == "/SimpleNotificationService-test.pem":
            return 200, signer.pem
        return 404, b"not found"

    return HttpPeer(respond)


def sns_notification(topic_arn: str, message: dict[str, Any]) -> dict[str, Any]:
    """An unsigned SNS ``Notification`` carrying ``message`` as JSON."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": json.dumps(message),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
