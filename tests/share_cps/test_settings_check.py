"""The drop check against the partner's servers on loopback (asyncssh's SFTP server, moto's
S3): it says in words what an administrator must change, and leaves nothing behind."""

import asyncio
import uuid
from typing import Any

import asyncssh
import pytest

from exhibit.forces.plugin_checks import check_plugin
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import free_port, invoke_exhibit
from tests.fixtures.notify_peers import moto_checking_credentials
from tests.notifications.helpers import enable, make_force
from tests.share_cps.test_delivery import (  # the partner's servers, shared with delivery
    KEY_ID,
    SECRET,
    SftpPeer,
    s3,
    s3_endpoint,
    sftp_peer,
)
from tests.share_cps.world import UNITS

__all__ = ["s3", "s3_endpoint", "sftp_peer"]  # fixtures, used by name

pytestmark = pytest.mark.asyncio


async def _check(platform: Platform, drop: dict[str, Any] | None) -> list[str]:
    config: dict[str, Any] = {"units": UNITS} | ({"drop": drop} if drop else {})
    kent = await make_force(platform, "kent", "share_cps", config)
    return await check_plugin(platform, kent, "share_cps")


def _sftp(peer: SftpPeer, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "sftp",
        "host": "127.0.0.1",
        "port": peer.port,
        "username": "kent",
        "host_key": peer.host_key,
        "folder": "/inbox",
        "private_key": {"value": peer.user_key},
    } | changes


def _s3(endpoint: str, bucket: str, **changes: Any) -> dict[str, Any]:
    return {
        "kind": "s3",
        "bucket": bucket,
        "prefix": "incoming/kent",
        "region": "us-east-1",
        "endpoint_url": endpoint,
        "access_key_id": KEY_ID,
        "secret_access_key": {"value": SECRET},
    } | changes


def _new_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


async def test_units_alone_need_no_check(cps_platform: Platform) -> None:
    assert await _check(cps_platform, None) == []


async def test_an_sftp_drop_that_works_passes_and_leaves_the_folder_empty(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    assert await _check(cps_platform, _sftp(sftp_peer)) == []
    assert list((sftp_peer.root / "inbox").iterdir()) == []


async def test_an_sftp_server_with_another_host_key_is_not_trusted(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    impostor = _new_key().export_public_key().decode().strip()
    (problem,) = await _check(cps_platform, _sftp(sftp_peer, host_key=impostor))
    assert problem.startswith(
        f"the SFTP server at 127.0.0.1:{sftp_peer.port} did not prove it holds host_key"
    )


async def test_an_sftp_login_the_server_refuses_names_the_user_not_the_key(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    stranger = _new_key().export_private_key().decode()
    (problem,) = await _check(cps_platform, _sftp(sftp_peer, private_key={"value": stranger}))
    assert problem.startswith(
        f"the SFTP server at 127.0.0.1:{sftp_peer.port} refused the login for user 'kent': "
        "check username and private_key"
    )
    assert "PRIVATE KEY" not in problem


async def test_a_missing_sftp_folder_says_create_it_or_correct_folder(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    assert await _check(cps_platform, _sftp(sftp_peer, folder="/outbox")) == [
        "folder '/outbox' does not exist on the SFTP server (for user 'kent'): ask the partner "
        "to create it, or correct folder"
    ]


async def test_an_sftp_server_nobody_runs_is_unreachable(
    cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    port = free_port()
    (problem,) = await _check(cps_platform, _sftp(sftp_peer, port=port))
    assert problem.startswith(f"no SFTP server answered at 127.0.0.1:{port}")


async def test_an_s3_drop_that_works_passes_and_leaves_nothing(
    cps_platform: Platform, s3: Any, s3_endpoint: str
) -> None:
    bucket = f"cps-drop-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    assert await _check(cps_platform, _s3(s3_endpoint, bucket)) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


async def test_a_missing_bucket_says_ask_the_partner(
    cps_platform: Platform, s3_endpoint: str
) -> None:
    assert await _check(cps_platform, _s3(s3_endpoint, "no-such-drop")) == [
        f"the partner's bucket 'no-such-drop' does not exist at {s3_endpoint}: ask the partner "
        "for its name, and correct bucket"
    ]


async def test_s3_refusing_the_credentials_says_which_to_check(
    cps_platform: Platform, s3: Any, s3_endpoint: str
) -> None:
    bucket = f"cps-drop-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    with moto_checking_credentials(s3_endpoint):
        problems = await _check(cps_platform, _s3(s3_endpoint, bucket))
    assert problems == [
        "the partner's S3 refused the credentials (InvalidAccessKeyId): check access_key_id and "
        "secret_access_key"
    ]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


async def test_s3_that_does_not_answer_is_unreachable(cps_platform: Platform) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    (problem,) = await _check(cps_platform, _s3(endpoint, "cps-drop"))
    assert problem.startswith(f"the partner's S3 at {endpoint} did not answer")


async def test_exhibit_force_check_reports_an_untrusted_host_key_and_exits_1(
    settings: Settings, cps_platform: Platform, sftp_peer: SftpPeer
) -> None:
    kent = await make_force(cps_platform, "kent", "share_cps", {"drop": _sftp(sftp_peer)})
    # In a thread: the SFTP server runs on this test's event loop and must keep answering.
    done = await asyncio.to_thread(invoke_exhibit, settings, "force", "check", "kent", "share_cps")
    assert done.returncode == 0, done.stderr
    assert "share_cps: settings checked, no problem" in done.stdout

    impostor = _new_key().export_public_key().decode().strip()
    await enable(cps_platform, kent, "share_cps", {"drop": _sftp(sftp_peer, host_key=impostor)})
    done = await asyncio.to_thread(invoke_exhibit, settings, "force", "check", "kent", "share_cps")
    assert done.returncode == 1
    assert (
        f"problem: share_cps: the SFTP server at 127.0.0.1:{sftp_peer.port} did not prove it "
        "holds host_key" in done.stderr
    )
    assert list((sftp_peer.root / "inbox").iterdir()) == []
