"""Exhibit plugin ``storage_s3``: evidence storage in S3 and S3-compatible stores.

A force enables the plugin with its bucket settings (``Config``) and sets its storage
backend to ``s3``. Uploads stream into S3 multipart uploads and can be continued by any app
process; originals are written once, under Object Lock where the bucket has it. A job
(``storage_s3.sweep``, hourly) aborts abandoned multipart uploads, and the settings check
tells an administrator whether the bucket is usable.
"""

from collections.abc import Mapping, Sequence
from datetime import timedelta

from exhibit.plugins import JobHandler, StorageBackend, hookimpl
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.check import check_bucket
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import SWEEP_EVERY, SWEEP_JOB, sweep_job


@hookimpl
def exhibit_plugin_config() -> type[Config]:
    """The per-force settings: bucket, prefix, credentials, encryption, Object Lock."""
    return Config


@hookimpl
def exhibit_storage_backends() -> Sequence[type[StorageBackend]]:
    """The S3 store, key ``s3``."""
    return [S3Storage]


@hookimpl
def exhibit_job_handlers() -> Mapping[str, JobHandler]:
    """The sweep of abandoned multipart uploads."""
    return {SWEEP_JOB: sweep_job}


@hookimpl
def exhibit_periodic_jobs() -> Mapping[str, timedelta]:
    """The sweep runs every hour, for every force on S3."""
    return {SWEEP_JOB: SWEEP_EVERY}


@hookimpl
async def exhibit_check_settings(config: Config) -> Sequence[str]:
    """The bucket exists, the credentials may list, write and delete in it, Object Lock is as
    configured, and no default retention rule would lock the staging objects.
    """
    return await check_bucket(config)
