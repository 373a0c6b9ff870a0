"""Delivering a share's bundle to a partner's drop: S3 (moto over HTTP) and SFTP (asyncssh).

Both servers run on loopback. The bundle that lands must be the one sent (same SHA-256) and
verify with the force's public key; a drop that keeps failing is retried, then marked failed.
"""

import hashlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncssh
import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from moto.server import ThreadedMotoServer
from sqlalchemy import select, update

from exhibit.audit.models import AuditEvent
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job, JobStatus
from exhibit.platform import Platform
from exhibit.plugins.config import InvalidPluginConfig, load_config
from exhibit.sharing.bundle_verify import verify_bundle
from exhibit.sharing.models import DeliveryState, ShareDelivery
from exhibit.sharing.service import DELIVERY_ATTEMPTS, NewShare, create_share, revoke_share
from exhibit.sharing.signing import public_raw, signing_key
from exhibit_share_cps.config import ShareCpsConfig
from tests.share_cps.helpers import drain
from tests.share_cps.world import UNITS, World, make_world

KEY_ID, SECRET = "testing-key", "testing-secret"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 in server mode on a loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client to set up buckets and look at what landed."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


@dataclass(frozen=True)
class SftpPeer:
    """An SFTP server on loopback: its port, host key, accepted user key and root folder."""

    port: int
    host_key: str
    user_key: str
    root: Path


@pytest.fixture
async def sftp_peer(tmp_path: Path) -> AsyncIterator[SftpPeer]:
    """An asyncssh SFTP server that accepts one generated user key, chrooted to a folder."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    user_key = asyncssh.generate_private_key("ssh-ed25519")
    root = tmp_path / "sftp-root"
    (root / "inbox").mkdir(parents=True)
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=asyncssh.import_authorized_keys(
            user_key.export_public_key().decode()
        ),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
        allow_scp=False,
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield SftpPeer(
            port,
            host_key.export_public_key().decode().strip(),
            user_key.export_private_key().decode(),
            root,
        )
    finally:
        server.close()
        await server.wait_closed()


async def _share(platform: Platform, world: World) -> int:
    async with force_transaction(platform, world.scene.force_id) as tx:
        share = await create_share(
            tx,
            NewShare(
                case_id=world.scene.case_id,
                item_ids=(world.redacted.id, world.disclosure.id),
                recipient=UNITS["south-east"],
                expires_at=utcnow() + timedelta(days=7),
                target="cps_drop",
            ),
            targets={"cps_drop": "share_cps", "cps_portal": "share_cps"},
            user_id=world.scene.officer_id,
            actor="test",
        )
        return share.id


async def _delivery(platform: Platform, force_id: int, share_id: int) -> ShareDelivery:
    async with platform.force_session(force_id) as session:
        delivery = await session.scalar(
            select(ShareDelivery).where(ShareDelivery.share_id == share_id)
        )
        assert delivery is not None
        return delivery


async def _check_landed(
    platform: Platform, world: World, share_id: int, landed: bytes, tmp_path: Path
) -> None:
    delivery = await _delivery(platform, world.scene.force_id, share_id)
    assert delivery.state is DeliveryState.DELIVERED, delivery.last_error
    assert delivery.reference.endswith(f"sha256={hashlib.sha256(landed).hexdigest()}")
    path = tmp_path / "landed.zip"
    path.write_bytes(landed)
    async with force_transaction(platform, world.scene.force_id) as tx:
        key = await signing_key(tx.session, platform.secret_box, world.scene.force_id, actor="t")
    report = verify_bundle(path, Ed25519PublicKey.from_public_bytes(public_raw(key)))
    assert report.ok, report.findings
    assert report.exhibits == 2
    async with platform.force_session(world.scene.force_id) as session:
        delivered = await session.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "share.delivered")
        )
    assert delivered is not None and delivered["reference"] == delivery.reference


async def test_a_share_is_pushed_to_the_partners_s3_bucket(
    cps_platform: Platform, s3: Any, s3_endpoint: str, tmp_path: Path
) -> None:
    bucket = f"cps-drop-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    drop = {
        "kind": "s3",
        "bucket": bucket,
        "prefix": "incoming/kent",
        "region": "us-east-1",
        "endpoint_url": s3_endpoint,
        "access_key_id": KEY_ID,
        "secret_access_key": {"value": SECRET},
    }
    world = await make_world(cps_platform, config={"units": UNITS, "drop": drop})
    share_id = await _share(cps_platform, world)
    await drain(cps_platform)

    landed = s3.get_object(Bucket=bucket, Key=f"incoming/kent/kent-share-{share_id}.zip")
    await _check_landed(cps_platform, world, share_id, landed["Body"].read(), tmp_path)


async def test_a_share_is_pushed_to_the_partners_sftp_server(
    cps_platform: Platform, sftp_peer: SftpPeer, tmp_path: Path
) -> None:
    drop = {
        "kind": "sftp",
        "host": "127.0.0.1",
        "port": sftp_peer.port,
        "username": "cps",
        "host_key": sftp_peer.host_key,
        "folder": "/inbox",
        "private_key": {"value": sftp_peer.user_key},
    }
    world = await make_world(cps_platform, config={"units": UNITS, "drop": drop})
    share_id = await _share(cps_platform, world)
    await drain(cps_platform)

    landed = (sftp_peer.root / "inbox" / f"kent-share-{share_id}.zip").read_bytes()
    await _check_landed(cps_platform, world, share_id, landed, tmp_path)
    checksum = (sftp_peer.root / "inbox" / f"kent-share-{share_id}.zip.sha256").read_text()
    assert checksum.split()[0] == hashlib.sha256(landed).hexdigest()
    assert not list((sftp_peer.root / "inbox").glob("*.partial"))


async def test_an_sftp_server_with_another_host_key_is_refused(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    drop = {
        "kind": "sftp",
        "host": "127.0.0.1",
        "port": sftp_peer.port,
        "username": "cps",
        "host_key": impostor.strip(),
        "folder": "/inbox",
        "private_key": {"value": sftp_peer.user_key},
    }
    world = await make_world(cps_platform, config={"units": UNITS, "drop": drop})
    share_id = await _share(cps_platform, world)
    await drain(cps_platform)
    delivery = await _delivery(cps_platform, world.scene.force_id, share_id)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert "HostKeyNotVerifiable" in delivery.last_error
    assert not list((sftp_peer.root / "inbox").iterdir())


async def test_a_failing_drop_is_retried_then_marked_failed(
    cps_platform: Platform, s3_endpoint: str
) -> None:
    drop = {
        "kind": "s3",
        "bucket": "no-such-bucket",
        "region": "us-east-1",
        "endpoint_url": s3_endpoint,
        "access_key_id": KEY_ID,
        "secret_access_key": {"value": SECRET},
    }
    world = await make_world(cps_platform, config={"drop": drop})
    share_id = await _share(cps_platform, world)
    force_id = world.scene.force_id
    for attempt in range(1, DELIVERY_ATTEMPTS + 1):
        await drain(cps_platform)
        delivery = await _delivery(cps_platform, force_id, share_id)
        assert delivery.attempts == attempt
        assert "NoSuchBucket" in delivery.last_error
        if attempt < DELIVERY_ATTEMPTS:
            assert delivery.state is DeliveryState.PENDING
            async with cps_platform.system_session() as session:  # skip the back-off wait
                await session.execute(
                    update(Job)
                    .where(Job.kind == "share_cps.deliver_share")
                    .values(run_at=utcnow() - timedelta(seconds=1))
                )
                await session.commit()
    assert delivery.state is DeliveryState.FAILED
    async with cps_platform.system_session() as session:
        job = await session.scalar(select(Job).where(Job.kind == "share_cps.deliver_share"))
        assert job is not None
        assert (job.status, job.attempts) == (JobStatus.FAILED, DELIVERY_ATTEMPTS)
    async with cps_platform.force_session(force_id) as session:
        failures = list(
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("share.deliver%"))
            )
        )
    assert failures == ["share.delivery_failed"]


def test_drop_configuration_is_validated_strictly(cps_platform: Platform) -> None:
    box = cps_platform.secret_box
    good = {
        "kind": "sftp",
        "host": "sftp.cps.test",
        "username": "kent",
        "host_key": "ssh-ed25519 AAAAC3Nz",
        "password": {"env": "EXHIBIT_FORCE_KENT_CPS_SFTP_PASSWORD"},
    }
    config = load_config("share_cps", ShareCpsConfig, {"drop": good}, box, force_slug="kent")
    assert isinstance(config, ShareCpsConfig)
    for bad, complaint in [
        ({"drop": good | {"pasword": "x"}}, "unknown field `pasword`"),
        ({"drop": {k: v for k, v in good.items() if k != "password"}}, "private_key or a password"),
        ({"drop": good | {"password": "plain"}}, "a secret is given as"),
        (
            {"drop": good | {"password": {"env": "EXHIBIT_SECRET_KEY"}}},
            "must start with EXHIBIT_FORCE_KENT_",
        ),
        ({"drop": good | {"kind": "ftp"}}, "Invalid value 'ftp'"),
        ({"units": {"se": "not-an-email"}}, "is not an email address"),
    ]:
        with pytest.raises(InvalidPluginConfig, match=complaint):
            load_config("share_cps", ShareCpsConfig, bad, box, force_slug="kent")


async def test_a_share_revoked_before_its_delivery_is_not_sent_and_that_is_audited(
    cps_platform: Platform, s3: Any, s3_endpoint: str
) -> None:
    bucket = f"cps-drop-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    drop = {
        "kind": "s3",
        "bucket": bucket,
        "region": "us-east-1",
        "endpoint_url": s3_endpoint,
        "access_key_id": KEY_ID,
        "secret_access_key": {"value": SECRET},
    }
    world = await make_world(cps_platform, config={"drop": drop})
    share_id = await _share(cps_platform, world)
    async with force_transaction(cps_platform, world.scene.force_id) as tx:
        await revoke_share(tx.session, share_id, actor="test", reason="the wrong unit")
    await drain(cps_platform)

    assert (await _delivery(cps_platform, world.scene.force_id, share_id)).state is (
        DeliveryState.WITHDRAWN
    )
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    async with cps_platform.force_session(world.scene.force_id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "share", AuditEvent.object_id == str(share_id))
                .order_by(AuditEvent.seq)
            )
        )
    assert actions == ["share.created", "share.revoked", "share.delivery_withdrawn"]
