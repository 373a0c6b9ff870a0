"""``exhibit share_cps public-key``: the force's key for prosecutors, or one line saying why not."""

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.fixtures.cli import invoke_exhibit
from tests.share_cps.world import make_world


async def test_the_public_key_is_written_or_the_failure_named_in_one_line(
    cps_platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    await make_world(cps_platform)
    written = invoke_exhibit(
        settings, "share_cps", "public-key", "--force", "kent", "--output", str(tmp_path / "k.pem")
    )
    assert written.returncode == 0, written.stderr
    pem = (tmp_path / "k.pem").read_text()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    # The fingerprint to read out to a prosecutor: SHA-256 of the key's raw 32 bytes.
    raw = load_pem_public_key(pem.encode()).public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert f"fingerprint: {hashlib.sha256(raw).hexdigest()}" in written.stdout
    printed = invoke_exhibit(settings, "share_cps", "public-key", "--force", "kent")
    assert printed.stdout == pem
    assert f"fingerprint: {hashlib.sha256(raw).hexdigest()}" in printed.stderr

    nowhere = tmp_path / "no-such-folder" / "k.pem"
    refused = invoke_exhibit(
        settings, "share_cps", "public-key", "--force", "kent", "--output", str(nowhere)
    )
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert f"cannot write {nowhere}: No such file or directory" in refused.stderr

    unknown = invoke_exhibit(settings, "share_cps", "public-key", "--force", "nope")
    assert unknown.returncode == 1
    assert "no force 'nope'" in unknown.stderr and "Traceback" not in unknown.stderr
