"""The settings check: can the ``cps_drop`` target reach the partner's drop and write to it?

SFTP: connect, insist on the configured host key (as a delivery does), log in, find the
folder, then write and delete an empty probe file named like a delivery in progress
(``*.partial``). S3: list under the prefix, then write, read back and delete an empty probe
object, the calls a delivery makes. Nothing else is left behind, and no bundle is sent.
The CPS units are addresses only: saving checks their form, and nothing more can be tried.
Exhibit runs it as the plugin's ``exhibit_check_settings`` (the admin page's Check button,
``exhibit force check``).
"""

import asyncio
import secrets
from typing import Any

from exhibit_share_cps.config import S3Drop, SftpDrop, ShareCpsConfig
from exhibit_share_cps.s3_drop import drop_key, s3_client
from exhibit_share_cps.sftp_drop import drop_folder, sftp_connection

PROBE = "exhibit-settings-check-{}"
"""The probe's name: the partner sees what it was, should a failed delete leave it."""
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}
_REGION_CODES = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraint"}


async def check_settings(config: ShareCpsConfig) -> list[str]:
    """What stops bundles reaching the configured drop (empty: nothing, or no drop)."""
    drop = config.drop
    if drop is None:
        return []
    if isinstance(drop, S3Drop):
        return await asyncio.to_thread(check_s3_drop, drop)
    return await check_sftp_drop(drop)


async def check_sftp_drop(drop: SftpDrop) -> list[str]:
    """Log in to the partner's SFTP server as a delivery does, and try the folder."""
    import asyncssh

    where = f"{drop.host}:{drop.port}"
    try:
        async with sftp_connection(drop) as connection, connection.start_sftp_client() as sftp:
            return await _folder_problems(sftp, drop)
    except asyncssh.KeyImportError:
        return ["private_key is not a private key asyncssh can read: give it in OpenSSH format"]
    except asyncssh.HostKeyNotVerifiable:
        return [
            f"the SFTP server at {where} did not prove it holds host_key: ask the partner for "
            "the server's public host key and correct host_key (or host, if this is not "
            "their server)"
        ]
    except asyncssh.PermissionDenied:
        login = "private_key" if drop.private_key else "password"
        return [
            f"the SFTP server at {where} refused the login for user {drop.username!r}: check "
            f"username and {login} (the partner must accept its public key or password)"
        ]
    except asyncssh.DisconnectError as exc:
        return [f"the SFTP server at {where} ended the connection: {_one_line(exc.reason)}"]
    except (OSError, TimeoutError, asyncssh.Error) as exc:
        return [
            f"no SFTP server answered at {where} ({type(exc).__name__}): check host and port, "
            "and that this server may reach the partner's"
        ]


async def _folder_problems(sftp: Any, drop: SftpDrop) -> list[str]:
    import asyncssh

    folder = drop_folder(drop)
    if not await sftp.isdir(folder):
        if await sftp.exists(folder):
            return [f"folder {folder!r} on the SFTP server is a file, not a folder: correct folder"]
        return [
            f"folder {folder!r} does not exist on the SFTP server (for user {drop.username!r}): "
            "ask the partner to create it, or correct folder"
        ]
    probe = f"{folder}/{PROBE.format(secrets.token_hex(8))}.partial"
    try:
        async with sftp.open(probe, "wb") as written:
            await written.write(b"")
    except asyncssh.SFTPError as exc:
        return [
            f"user {drop.username!r} may not write to folder {folder!r} on the SFTP server "
            f"({_one_line(exc.reason)}): ask the partner for write access there"
        ]
    try:
        await sftp.remove(probe)
    except asyncssh.SFTPError as exc:
        return [
            f"user {drop.username!r} may write to folder {folder!r} but could not delete the "
            f"check's empty file {probe} ({_one_line(exc.reason)}): a delivery replaces files "
            "there; ask the partner to allow deleting, and to remove that file"
        ]
    return []


def check_s3_drop(drop: S3Drop) -> list[str]:
    """List, write, read back and delete under the drop's prefix, as a delivery would."""
    from botocore.exceptions import BotoCoreError, ClientError

    failed = (ClientError, BotoCoreError)
    client = s3_client(drop)
    try:
        client.list_objects_v2(Bucket=drop.bucket, Prefix=drop.prefix.strip("/"), MaxKeys=1)
    except failed as exc:
        # Listing is not needed to deliver: a drop that may only be written to is fine.
        if _code(exc) not in ("AccessDenied", "AllAccessDisabled"):
            return [_s3_access_problem(exc, drop)]
    probe = drop_key(drop, PROBE.format(secrets.token_hex(8)))
    where = f"bucket {drop.bucket!r} under {drop.prefix.strip('/') or '(no prefix)'}"
    try:
        client.put_object(Bucket=drop.bucket, Key=probe, Body=b"")
    except failed as exc:
        if _code(exc) not in ("AccessDenied", "403"):
            return [_s3_access_problem(exc, drop)]
        return [
            f"the credentials may not write to {where} ({_code(exc)}): the partner must allow "
            "s3:PutObject there"
        ]
    problems = []
    try:
        client.head_object(Bucket=drop.bucket, Key=probe)
    except failed as exc:
        problems.append(
            f"the credentials may write to {where} but not read back what they wrote "
            f"({_code(exc) or type(exc).__name__}), as each delivery does to check it: the "
            "partner must allow s3:GetObject there"
        )
    try:
        client.delete_object(Bucket=drop.bucket, Key=probe)
    except failed as exc:
        problems.append(
            f"the check's empty object {probe} was left in bucket {drop.bucket!r}: the "
            f"credentials may not delete it ({_code(exc) or type(exc).__name__}); ask the "
            "partner to remove it"
        )
    return problems


def _s3_access_problem(exc: BaseException, drop: S3Drop) -> str:
    code = _code(exc)
    where = f" at {drop.endpoint_url}" if drop.endpoint_url else ""
    if code in ("NoSuchBucket", "404"):
        return (
            f"the partner's bucket {drop.bucket!r} does not exist{where}: ask the partner for "
            "its name, and correct bucket"
        )
    if code in _CREDENTIAL_CODES:
        return (
            f"the partner's S3 refused the credentials ({code}): check access_key_id and "
            "secret_access_key"
        )
    if code in _REGION_CODES:
        return f"bucket {drop.bucket!r} is not in region {drop.region} ({code}): correct region"
    if code:
        return f"bucket {drop.bucket!r} could not be used: S3 answered {code}"
    return (
        f"the partner's S3{where} did not answer ({type(exc).__name__}): check endpoint_url "
        "and region, and that this server may reach it"
    )


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _one_line(text: object) -> str:
    return " ".join(str(text).split())[:200]
