"""The start-up check: can this force's bucket be used as configured?

It tells an administrator, in words, when the bucket is missing, the credentials are wrong
or lack access, Object Lock is expected but off, or a default retention rule would lock the
plugin's own staging objects. Run it as ``exhibit storage_s3 check --force SLUG``.
"""

import asyncio
import secrets
from typing import Any

import click
from sqlalchemy import select

from exhibit.cli.runtime import run_with_platform
from exhibit.forces.models import Force, ForcePlugin
from exhibit.platform import Platform
from exhibit.plugins.config import load_config
from exhibit_storage_s3.client import error_code, http_status, s3_client
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.staging import STAGING

PLUGIN_ID = "storage_s3"
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}


class CheckFailed(Exception):
    """The bucket cannot be used as configured; the message says why and what to do."""


async def check_bucket(config: Config) -> list[str]:
    """What is wrong with ``config``'s bucket (an empty list when nothing is)."""
    return await asyncio.to_thread(_check, config)


def _check(config: Config) -> list[str]:
    client = s3_client(config)
    bucket = config.bucket
    try:
        # ListObjectsV2 rather than HeadBucket: a HEAD answer has no body to name the error.
        client.list_objects_v2(Bucket=bucket, Prefix=config.prefix, MaxKeys=1)
    except Exception as exc:
        return [_access_problem(exc, config)]
    problems: list[str] = []
    problems.extend(_lock_problems(client, config))
    probe = f"{config.prefix}{STAGING}check-{secrets.token_hex(8)}"
    try:
        written = client.put_object(Bucket=bucket, Key=probe, Body=b"", ChecksumAlgorithm="SHA256")
        version = written.get("VersionId")
        extra = {"VersionId": version} if version else {}
        client.delete_object(Bucket=bucket, Key=probe, **extra)
    except Exception as exc:
        problems.append(
            f"cannot write to bucket {bucket!r} under {config.prefix or '(no prefix)'}: "
            f"{error_code(exc) or type(exc).__name__}; the credentials need s3:PutObject and "
            "s3:DeleteObject (and s3:DeleteObjectVersion on a versioned bucket)"
        )
    return problems


def _access_problem(exc: BaseException, config: Config) -> str:
    code, status = error_code(exc), http_status(exc)
    where = f" at {config.endpoint_url}" if config.endpoint_url else ""
    if code in ("NoSuchBucket", "404") or status == 404:
        return f"bucket {config.bucket!r} does not exist{where}: create it or correct 'bucket'"
    if code in _CREDENTIAL_CODES:
        return (
            f"the credentials were refused ({code}): check access_key_id and "
            "secret_access_key (or the default credential chain)"
        )
    if code == "AccessDenied" or status == 403:
        return (
            f"access to bucket {config.bucket!r} was denied: the credentials are valid but "
            "lack s3:ListBucket on it (or the bucket belongs to another account)"
        )
    if code:
        return f"bucket {config.bucket!r} could not be reached: {code} (HTTP {status})"
    return f"S3{where} could not be reached: {type(exc).__name__}"


def _lock_problems(client: Any, config: Config) -> list[str]:
    try:
        lock = client.get_object_lock_configuration(Bucket=config.bucket)
        settings = lock.get("ObjectLockConfiguration", {})
    except Exception as exc:
        if error_code(exc) not in ("ObjectLockConfigurationNotFoundError", "404"):
            return [f"cannot read the bucket's Object Lock settings: {error_code(exc)}"]
        settings = {}
    enabled = settings.get("ObjectLockEnabled") == "Enabled"
    problems = []
    if config.object_lock_mode and not enabled:
        problems.append(
            f"Object Lock is expected ({config.object_lock_mode}, {config.object_lock_days} "
            f"days) but bucket {config.bucket!r} has it off: originals would not be write-once. "
            "Object Lock can only be turned on for a versioned bucket; or unset object_lock_mode"
        )
    if enabled and settings.get("Rule", {}).get("DefaultRetention"):
        problems.append(
            f"bucket {config.bucket!r} has a default retention rule: it would lock the "
            "plugin's staging objects too; remove the rule (originals get retention per object)"
        )
    return problems


async def check_force(platform: Platform, slug: str) -> list[str]:
    """Check the bucket of the force ``slug``; raise ``CheckFailed`` if it has no settings."""
    async with platform.system_session() as session:
        force = await session.scalar(select(Force).where(Force.slug == slug))
        if force is None:
            raise CheckFailed(f"no force {slug!r}")
        row = await session.scalar(
            select(ForcePlugin).where(
                ForcePlugin.force_id == force.id, ForcePlugin.plugin_id == PLUGIN_ID
            )
        )
        if row is None or not row.enabled:
            raise CheckFailed(f"force {slug!r} has not enabled the storage_s3 plugin")
        raw = row.config
    config = load_config(PLUGIN_ID, Config, raw, platform.secret_box, force_slug=slug)
    assert isinstance(config, Config)
    problems = await check_bucket(config)
    if not problems:
        from exhibit_storage_s3.sweep import schedule_next

        await schedule_next(platform)  # keep the orphan sweep going once the bucket works
    return problems


@click.command("check")
@click.option("--force", "slug", required=True, help="The force's slug.")
def check_command(slug: str) -> None:
    """Check that a force's S3 bucket exists, the credentials work and Object Lock is as set."""

    async def work(platform: Platform) -> list[str]:
        try:
            return await check_force(platform, slug)
        except CheckFailed as exc:
            raise click.ClickException(str(exc)) from None

    problems = run_with_platform(work)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"storage_s3 for {slug}: bucket reachable, writable and as configured")
