"""Forces sharing one bucket never sweep each other's uploads.

``kent`` keeps its evidence under ``kent/``; ``essex`` uses the same bucket with no prefix
(kent's multipart uploads lie inside essex's prefix) or with the same prefix (essex sees
kent's staging folders as its own). (moto reports every multipart upload
as initiated in 2010, so each looks old enough to go to a sweep that thinks it abandoned.)
"""

import json
import time
from typing import Any

import httpx
import pytest

from exhibit.forces.plugin_settings import configure_plugin
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins
from exhibit.settings import Settings
from exhibit_storage_s3.config import Config
from exhibit_storage_s3.sweep import sweep_all
from tests.fixtures.tus_client import create_upload, patch_chunk, serving
from tests.fixtures.witness import Scene, make_scene
from tests.storage_s3.conftest import ACCESS_KEY, SECRET_KEY
from tests.storage_s3.s3_objects import multipart_uploads

pytestmark = pytest.mark.asyncio
MiB = 1024 * 1024


@pytest.mark.parametrize("essex_prefix", ["", "kent/"])
async def test_a_force_sharing_the_bucket_leaves_the_other_forces_uploads(
    essex_prefix: str,
    settings: Settings,
    s3_plugins: Plugins,
    s3_scene: tuple[Scene, Config],
    s3: Any,
) -> None:
    scene, config = s3_scene
    with serving(settings, s3_plugins) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            location = await create_upload(http, scene.token, 20 * MiB, {"filename": "v.mp4"})
            answer = await patch_chunk(http, scene.token, location, 0, b"v" * 9 * MiB)
            assert answer.status_code == 204
    [kent_upload] = multipart_uploads(s3, config.bucket)
    assert kent_upload["Key"].startswith("kent/")
    # Begun long ago (a witness paused, say): only the row in kent's database keeps it.
    listed = s3.list_objects_v2(Bucket=config.bucket, Prefix="kent/.exhibit-staging/")
    [manifest_key] = [o["Key"] for o in listed["Contents"] if o["Key"].endswith("/manifest")]
    manifest = json.loads(s3.get_object(Bucket=config.bucket, Key=manifest_key)["Body"].read())
    manifest["created"] = time.time() - 49 * 3600
    s3.put_object(Bucket=config.bucket, Key=manifest_key, Body=json.dumps(manifest).encode())

    platform = Platform(settings, s3_plugins)
    try:
        essex = await make_scene(platform, "essex")
        async with platform.force_session(essex.force_id) as session:
            await configure_plugin(
                session,
                s3_plugins,
                platform.secret_box,
                essex.force_id,
                "storage_s3",
                enabled=True,
                config={
                    "bucket": config.bucket,
                    "prefix": essex_prefix,
                    "endpoint_url": config.endpoint_url,
                    "region": "us-east-1",
                    "access_key_id": ACCESS_KEY,
                    "secret_access_key": {"value": SECRET_KEY},
                    "abandoned_after_hours": 1,
                },
                actor="test",
            )
            await session.commit()
        assert await sweep_all(platform) == 0
    finally:
        await platform.close()
    assert [u["UploadId"] for u in multipart_uploads(s3, config.bucket)] == [
        kent_upload["UploadId"]
    ]
    assert s3.get_object(Bucket=config.bucket, Key=manifest_key)["ContentLength"] > 0
