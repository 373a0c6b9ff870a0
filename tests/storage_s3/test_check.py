"""The start-up check names a missing bucket, refused credentials and Object Lock left off."""

from collections.abc import Callable, Iterator

import httpx
import pytest

from exhibit.secrets import Secret, SecretBox
from exhibit_storage_s3.check import check_bucket
from exhibit_storage_s3.config import Config

pytestmark = pytest.mark.asyncio


async def test_a_good_bucket_passes(bucket: str, make_config: Callable[..., Config]) -> None:
    assert await check_bucket(make_config(bucket)) == []


async def test_locked_bucket_passes_with_lock_expected(
    locked_bucket: str, make_config: Callable[..., Config]
) -> None:
    config = make_config(locked_bucket, object_lock_mode="COMPLIANCE", object_lock_days=7)
    assert await check_bucket(config) == []


async def test_missing_bucket(make_config: Callable[..., Config]) -> None:
    problems = await check_bucket(make_config("no-such-bucket-here"))
    assert len(problems) == 1
    assert "bucket 'no-such-bucket-here' does not exist" in problems[0]


async def test_object_lock_expected_but_off(
    bucket: str, make_config: Callable[..., Config]
) -> None:
    config = make_config(bucket, object_lock_mode="GOVERNANCE", object_lock_days=30)
    problems = await check_bucket(config)
    assert len(problems) == 1
    assert "Object Lock is expected (GOVERNANCE, 30 days)" in problems[0]
    assert "has it off" in problems[0]


async def test_default_retention_rule_flagged(
    locked_bucket: str, make_config: Callable[..., Config], s3: object
) -> None:
    s3.put_object_lock_configuration(  # type: ignore[attr-defined]
        Bucket=locked_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    problems = await check_bucket(make_config(locked_bucket))
    assert any("default retention rule" in p for p in problems)


@pytest.fixture
def auth_enforced(s3_endpoint: str, bucket: str) -> Iterator[None]:
    """Make moto check credentials (its documented reset-auth API) for one test."""
    httpx.post(f"{s3_endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
    try:
        yield
    finally:
        httpx.post(f"{s3_endpoint}/moto-api/reset-auth", content=b"inf").raise_for_status()


@pytest.mark.usefixtures("auth_enforced")
async def test_wrong_credentials(
    bucket: str, make_config: Callable[..., Config], secret_box: SecretBox
) -> None:
    config = make_config(
        bucket,
        access_key_id="AKIAWRONGWRONGWRONG1",
        secret_access_key=Secret.from_value("not-the-secret", secret_box),
    )
    problems = await check_bucket(config)
    assert len(problems) == 1
    assert "the credentials were refused (InvalidAccessKeyId)" in problems[0]
    assert "not-the-secret" not in problems[0]
