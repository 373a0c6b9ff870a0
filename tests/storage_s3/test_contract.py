"""The S3 store passes the storage contract every backend passes, against moto over HTTP."""

from collections.abc import Callable

import pytest

from exhibit.storage.backend import StorageBackend
from exhibit.testing.storage_contract import StorageContract
from exhibit_storage_s3.backend import S3Storage
from exhibit_storage_s3.config import Config


class TestS3Storage(StorageContract):
    @pytest.fixture
    def backend_factory(
        self,
        bucket: str,
        make_config: Callable[..., Config],
        make_backend: Callable[[Config], S3Storage],
    ) -> Callable[[], StorageBackend]:
        config = make_config(bucket)
        return lambda: make_backend(config)


class TestS3StorageWithObjectLock(StorageContract):
    """The same contract on a versioned, Object-Lock-enabled bucket (non-original keys)."""

    @pytest.fixture
    def backend_factory(
        self,
        locked_bucket: str,
        make_config: Callable[..., Config],
        make_backend: Callable[[Config], S3Storage],
    ) -> Callable[[], StorageBackend]:
        config = make_config(locked_bucket, object_lock_mode="GOVERNANCE", object_lock_days=1)
        return lambda: make_backend(config)
