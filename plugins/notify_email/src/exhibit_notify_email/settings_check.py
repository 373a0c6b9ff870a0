"""The settings check: will the force's email provider (and fallback) take its messages?

Nothing is sent. SMTP: connect, TLS as configured, EHLO, log in, QUIT (no MAIL FROM). SES:
read the From address's identity (or its domain's), which proves the credentials and the
region and says whether SES may send from it, and the configuration set if one is named.
GOV.UK Notify: fetch the template, which proves the API key and the template id and shows
whether it has ``((subject))`` and ``((body))``. Exhibit runs it as the plugin's
``exhibit_check_settings`` (the admin page's Check button, ``exhibit force check``).
"""

import asyncio
import re
import ssl
import uuid
from typing import Any

from exhibit.notifications.aws import aws_client
from exhibit.notifications.govuk_notify import notify_client
from exhibit.notifications.provider_http import error_list_reason
from exhibit.plugins import DeliveryFailed
from exhibit_notify_email.config import Config, NotifySettings, SesSettings, SmtpSettings

CHECK_TIMEOUT = 20.0
"""Seconds each provider may take here (the core gives a whole check 30)."""
_AWS_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "ExpiredToken",
    "ExpiredTokenException",
    "403",  # an answer without an error code (some S3-compatible and test peers)
}
_NOTIFY_FIELD = r"\(\(\s*{}\s*\)\)"


async def check_settings(config: Config) -> list[str]:
    """What stops the force's provider, or its fallback, from sending (empty: nothing)."""
    time_limit = min(config.timeout_seconds, CHECK_TIMEOUT)
    main = await _check_provider(config, config.provider, time_limit)
    if config.fallback is None:
        return main
    fallback = await _check_provider(config, config.fallback, time_limit)
    return main + [f"fallback: {problem}" for problem in fallback]


async def _check_provider(config: Config, key: str, time_limit: float) -> list[str]:
    if key == "smtp":
        assert config.smtp is not None  # the Config checks the chosen sections
        return await check_smtp(config.smtp, time_limit)
    if key == "ses":
        assert config.ses is not None
        return await asyncio.to_thread(check_ses, config.ses, config.from_address, time_limit)
    assert config.govuk_notify is not None
    return await asyncio.to_thread(check_notify, config.govuk_notify, time_limit)


async def check_smtp(settings: SmtpSettings, time_limit: float) -> list[str]:
    """Connect, secure and log in to the relay as configured, then say goodbye."""
    import aiosmtplib  # lazy, as in smtp.py

    where = f"{settings.host}:{settings.port}"
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        tls_context=_tls_context(settings) if settings.security != "none" else None,
        timeout=time_limit,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as exc:
        return [_smtp_connect_problem(settings, where, exc)]
    try:
        if settings.username:
            password = settings.password.reveal() if settings.password else ""
            await client.login(settings.username, password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return [
            f"the SMTP server at {where} refused the login for user {settings.username!r} "
            f"({exc.code}): check username and password"
        ]
    except aiosmtplib.SMTPException as exc:
        if "AUTH extension" in str(exc) and settings.security == "none":
            return [
                f"the SMTP server at {where} offers no login over a connection without TLS: "
                "set security to 'starttls' (port 587) or 'tls' (port 465)"
            ]
        if "AUTH extension" in str(exc):
            return [
                f"the SMTP server at {where} does not offer a login (AUTH): remove username "
                "and password if it relays without one, or ask its operator"
            ]
        return [f"the SMTP server at {where} failed the login: {type(exc).__name__}"]
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
    return []


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


def _smtp_connect_problem(settings: SmtpSettings, where: str, exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLCertVerificationError) or isinstance(
        cause, ssl.SSLCertVerificationError
    ):
        trusted = f"the certificates in {settings.ca_file}" if settings.ca_file else "this server"
        return (
            f"the SMTP server at {where} showed a certificate {trusted} does not trust: set "
            "ca_file to the relay's CA bundle, or correct host"
        )
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError):
        return (
            f"TLS with the SMTP server at {where} failed: check security ('tls' is for port "
            "465, 'starttls' for 587) and port"
        )
    if "STARTTLS" in str(exc):
        return (
            f"the SMTP server at {where} does not offer STARTTLS: set security to 'tls' if it "
            "speaks TLS from the start (port 465), or correct host and port"
        )
    if isinstance(exc, TimeoutError):
        return (
            f"the SMTP server at {where} did not answer in time: check host and port, and that "
            "this server may reach it"
        )
    return (
        f"no SMTP server answered at {where} ({type(exc).__name__}): check host and port, and "
        "that this server may reach it"
    )


def check_ses(settings: SesSettings, from_address: str, timeout: float) -> list[str]:
    """SES knows the From address (or its domain) as verified, in the configured region."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = aws_client("sesv2", settings, timeout)
    domain = from_address.rsplit("@", 1)[1]
    problems: list[str] = []
    try:
        identity = _ses_identity(client, from_address) or _ses_identity(client, domain)
        if identity is None:
            problems.append(
                f"SES in region {settings.region} has neither {from_address} nor {domain} as "
                "a verified identity: verify one in SES there, or correct from_address or region"
            )
        elif not _verified(identity):
            status = identity.get("VerificationStatus", "not verified")
            problems.append(
                f"SES in region {settings.region} has {identity['name']} but it is not "
                f"verified yet ({status}): finish its verification (DNS records) in SES"
            )
        if settings.configuration_set:
            problems.extend(_ses_configuration_set(client, settings))
    except (ClientError, BotoCoreError) as exc:
        problems.append(_aws_problem("SES", settings, exc))
    return problems


def _ses_identity(client: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        found: dict[str, Any] = client.get_email_identity(EmailIdentity=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NotFoundException":
            return None
        raise
    return found | {"name": name}


def _verified(identity: dict[str, Any]) -> bool:
    return bool(identity.get("VerifiedForSendingStatus")) or (
        identity.get("VerificationStatus") == "SUCCESS"
    )


def _ses_configuration_set(client: Any, settings: SesSettings) -> list[str]:
    from botocore.exceptions import ClientError

    try:
        client.get_configuration_set(ConfigurationSetName=settings.configuration_set)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFoundException":
            raise
        return [
            f"SES in region {settings.region} has no configuration set "
            f"{settings.configuration_set!r}: create it, or correct or remove configuration_set"
        ]
    return []


def _aws_problem(service: str, settings: SesSettings, exc: BaseException) -> str:
    """AWS's refusal or silence as what the administrator should change."""
    from botocore.exceptions import ClientError, NoCredentialsError

    where = settings.endpoint_url or f"region {settings.region}"
    if isinstance(exc, NoCredentialsError):
        return (
            f"{service}: no AWS credentials on this server: give access_key_id and "
            "secret_access_key, or give the server a role"
        )
    if not isinstance(exc, ClientError):
        return (
            f"{service} did not answer at {where} ({type(exc).__name__}): check region and "
            "endpoint_url, and that this server may reach AWS"
        )
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _AWS_CREDENTIAL_CODES:
        return (
            f"{service} refused the credentials (HTTP {status} {code}): check access_key_id "
            "and secret_access_key"
        )
    if "AccessDenied" in code or code == "AuthorizationError":
        return (
            f"{service} says the credentials may not read the settings it was asked about "
            f"({code}): allow ses:GetEmailIdentity and ses:GetConfigurationSet, or check the "
            "access key is the force's"
        )
    return f"{service} at {where} answered {code or 'an error'} (HTTP {status})"


def check_notify(settings: NotifySettings, timeout: float) -> list[str]:
    """Notify takes the key and has the template, an email one with the two fields."""
    from notifications_python_client.errors import APIError

    try:
        uuid.UUID(settings.template_id)
    except ValueError:
        return [
            f"template_id {settings.template_id!r} is not a Notify template id (a UUID): copy "
            "it from the template's page in Notify"
        ]
    try:
        client = notify_client(settings.api_key, settings.base_url, timeout)
        template = client.get_template(settings.template_id)
    except DeliveryFailed as failed:
        return [failed.reason]
    except APIError as error:
        return [_notify_problem(settings.base_url, settings.template_id, error)]
    return _template_problems(settings.template_id, template)


def _notify_problem(base_url: str, template_id: str, error: Any) -> str:
    """Notify's refusal (or silence) of the template request, in words."""
    status = error.status_code
    if error.response is None:
        return f"GOV.UK Notify did not answer at {base_url}: check base_url"
    reason = error_list_reason(error.message)
    if status == 403:
        return (
            f"GOV.UK Notify refused the API key (403: {reason}): check api_key (a live key of "
            "the force's service, copied whole)"
        )
    if status in (400, 404):
        return (
            f"GOV.UK Notify has no template {template_id} in the key's service ({status}: "
            f"{reason}): correct template_id"
        )
    return f"GOV.UK Notify answered {status}: {reason}"


def _template_problems(template_id: str, template: dict[str, Any]) -> list[str]:
    kind = template.get("type")
    if kind != "email":
        return [
            f"GOV.UK Notify template {template_id} is a {kind} template, not an email one: "
            "correct template_id"
        ]
    missing = [
        f"(({name})) in its {part}"
        for name, part in (("subject", "subject"), ("body", "body"))
        if not re.search(_NOTIFY_FIELD.format(name), str(template.get(part) or ""), re.I)
    ]
    if missing:
        return [
            f"GOV.UK Notify template {template_id} lacks {' and '.join(missing)}: the force's "
            "words would not reach the witness; edit the template in Notify"
        ]
    return []
