"""Exhibit plugin ``storage_s3``: evidence storage in S3 and S3-compatible stores.

A force enables the plugin with its bucket settings (``Config``) and sets its storage
backend to ``s3``. Uploads stream into S3 multipart uploads and can be continued by any app
process; originals are written once, under Object Lock where the bucket has it. A job
(``storage_s3.sweep``) aborts abandoned multipart uploads, and ``exhibit storage_s3 check
--force SLUG`` tells an administrator whether the bucket is usable.
"""

from collections.abc import Mapping, Sequence

import click

from exhibit.plugins import JobHandler, StorageBackend, hookimpl
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.check import check_command
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import SWEEP_JOB, sweep_job


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
    """The sweep of abandoned multipart uploads (it queues its own next run)."""
    return {SWEEP_JOB: sweep_job}


@hookimpl
def exhibit_cli_commands() -> Sequence[click.Command]:
    """``exhibit storage_s3 check --force SLUG``."""
    return [check_command]
