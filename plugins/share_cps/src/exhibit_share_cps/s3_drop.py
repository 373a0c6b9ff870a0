"""Pushing a bundle to the partner's S3 bucket (boto3, run in a worker thread).

boto3 is imported on the first push, not when the plugin loads: every Exhibit process loads
every installed plugin, and most never deliver a bundle to S3.
"""

import asyncio
from pathlib import Path
from typing import Any

from exhibit_share_cps.config import S3Drop


def s3_client(drop: S3Drop) -> Any:
    """A boto3 S3 client for the partner's bucket, with the drop's credentials."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        region_name=drop.region,
        endpoint_url=drop.endpoint_url,
        aws_access_key_id=drop.access_key_id,
        aws_secret_access_key=drop.secret_access_key.reveal(),
        config=BotoConfig(retries={"max_attempts": 2}, connect_timeout=10, read_timeout=60),
    )


def drop_key(drop: S3Drop, name: str) -> str:
    """The key of ``name`` under the drop's prefix."""
    return f"{drop.prefix.strip('/')}/{name}" if drop.prefix.strip("/") else name


def _push(drop: S3Drop, bundle: Path, name: str, digest: str) -> str:
    client = s3_client(drop)
    key = drop_key(drop, name)
    client.upload_file(str(bundle), drop.bucket, key, ExtraArgs={"Metadata": {"sha256": digest}})
    # Stores may accept a wrong checksum: compare what landed with what was sent ourselves.
    head = client.head_object(Bucket=drop.bucket, Key=key)
    if head["ContentLength"] != bundle.stat().st_size or head["Metadata"].get("sha256") != digest:
        raise RuntimeError(f"s3://{drop.bucket}/{key} does not hold the bundle that was sent")
    return f"s3://{drop.bucket}/{key}"


async def push_to_s3(drop: S3Drop, bundle: Path, name: str, digest: str) -> str:
    """Upload the bundle (multipart when large), check what landed, return where it is.

    ``digest`` is the bundle's SHA-256, kept with the object as metadata.
    """
    return await asyncio.to_thread(_push, drop, bundle, name, digest)
