"""Pushing a bundle to the partner's SFTP server (asyncssh), verifying the server's host key.

asyncssh is imported on the first push, not when the plugin loads (see s3_drop).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from exhibit_share_cps.config import SftpDrop

if TYPE_CHECKING:
    import asyncssh


def _known_hosts(drop: SftpDrop) -> "asyncssh.SSHKnownHosts":
    import asyncssh

    pattern = drop.host if drop.port == 22 else f"[{drop.host}]:{drop.port}"
    return asyncssh.import_known_hosts(f"{pattern} {drop.host_key.strip()}\n")


@asynccontextmanager
async def sftp_connection(drop: SftpDrop) -> AsyncIterator["asyncssh.SSHClientConnection"]:
    """A connection to the drop's server, refused unless the server proves it holds
    ``host_key``, logged in with the private key or the password."""
    import asyncssh

    keys = [asyncssh.import_private_key(drop.private_key.reveal())] if drop.private_key else None
    async with asyncssh.connect(
        drop.host,
        drop.port,
        username=drop.username,
        known_hosts=_known_hosts(drop),
        client_keys=keys,
        password=drop.password.reveal() if drop.password else None,
        connect_timeout=15,
    ) as connection:
        yield connection


def drop_folder(drop: SftpDrop) -> str:
    """The folder bundles go to, without a trailing slash (``/`` for the root)."""
    return drop.folder.rstrip("/") or "/"


async def push_to_sftp(drop: SftpDrop, bundle: Path, name: str, digest: str) -> str:
    """Upload under a temporary name, then rename into place, so a reader never sees half.

    Beside the bundle goes ``<name>.sha256`` holding ``digest``, as ``sha256sum`` writes it.
    """
    expected = (await anyio.Path(bundle).stat()).st_size
    async with sftp_connection(drop) as connection, connection.start_sftp_client() as sftp:
        folder = drop_folder(drop)
        final = f"{folder}/{name}"
        partial = f"{final}.partial"
        await sftp.put(str(bundle), partial)
        if await sftp.exists(final):
            await sftp.remove(final)
        await sftp.rename(partial, final)
        async with sftp.open(f"{final}.sha256", "w") as checksum:
            await checksum.write(f"{digest}  {name}\n")
        size = (await sftp.stat(final)).size
    if size != expected:
        raise RuntimeError(f"sftp {drop.host}:{final} holds {size} bytes, not the bundle's")
    return f"sftp://{drop.host}:{drop.port}{'' if final.startswith('/') else '/'}{final}"
