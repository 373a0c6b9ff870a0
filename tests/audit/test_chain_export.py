"""A force's whole audit chain exported (CLI and web) and checked offline: anyone holding the
file finds an altered, removed or cut event without the database."""

import asyncio
import json
from pathlib import Path

import msgspec

from exhibit.accounts.models import Role
from exhibit.audit.export import chain_lines, check_export
from exhibit.audit.segment import LinkOnly, encode_line
from exhibit.audit.verify import ChainHead
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.audit.test_audit_chain import _force, _head, _record
from tests.fixtures.cli import invoke_exhibit
from tests.fixtures.officer import browser, make_user, sign_in


async def _exported(platform: Platform, force_id: int) -> bytes:
    return b"".join([lines async for lines in chain_lines(platform, force_id)])


async def test_the_cli_exports_a_chain_that_checks_offline_and_finds_tampering(
    platform: Platform, tmp_path: Path
) -> None:
    force_id = await _force(platform, "kent")
    await _force(platform, "essex")
    for n in range(4):
        await _record(platform, force_id, n, reason="routine review")
    head = await _head(platform, force_id)
    export = tmp_path / "kent.jsonl"

    written = await asyncio.to_thread(
        invoke_exhibit,
        platform.settings,
        "audit",
        "export",
        "--force",
        "kent",
        "--output",
        str(export),
    )
    again = await asyncio.to_thread(
        invoke_exhibit,
        platform.settings,
        "audit",
        "export",
        "--force",
        "kent",
        "--output",
        str(export),
    )

    assert written.returncode == 0, written.stderr
    assert f"kent: 5 events written to {export}; head {head}" in written.stdout
    assert again.returncode == 1
    assert "exists already" in again.stderr and "Traceback" not in again.stderr
    lines = export.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["content"]["force_id"] for line in lines] == [force_id] * 5

    def check(data: list[bytes], *extra: str) -> tuple[int, str]:
        path = tmp_path / f"check-{len(list(tmp_path.iterdir()))}.jsonl"
        path.write_bytes(b"".join(data))
        # No database: it points nowhere.
        nowhere = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
        done = invoke_exhibit(
            platform.settings, "audit", "check", str(path), *extra, EXHIBIT_DATABASE_URL=nowhere
        )
        return done.returncode, done.stdout + done.stderr

    whole = check(lines)
    assert whole[0] == 0 and whole[1].endswith(f".jsonl: ok (5 events; head {head})\n")
    assert check(lines, "--head", str(head))[0] == 0
    altered = lines[2].replace(b"routine review", b"nothing to see")
    assert (
        "event 3 does not match its hash (altered)" in check([*lines[:2], altered, *lines[3:]])[1]
    )
    assert "event 3 is missing" in check([*lines[:2], *lines[3:]])[1]
    cut = check(lines[:-1], "--head", str(head))
    assert cut[0] == 1 and f"noted head {head} is not in it" in cut[1]
    assert check(lines[:-1])[0] == 0  # a cut chain alone still chains: hence the noted head


async def test_an_event_given_only_as_a_link_fails_an_export(platform: Platform) -> None:
    force_id = await _force(platform)
    await _record(platform, force_id, 1)
    data = await _exported(platform, force_id)
    first, second = data.splitlines(keepends=True)
    event = json.loads(second)
    link = encode_line(
        LinkOnly(
            seq=event["content"]["seq"], prev_hash=event["content"]["prev_hash"], hash=event["hash"]
        )
    )

    assert check_export([first, second]).problem is None
    assert check_export([first, link]).problem == "event 2 is given only as a link, not in full"


async def test_an_auditor_downloads_the_chain_and_the_download_is_audited(
    settings: Settings, platform: Platform
) -> None:
    auditor = await make_user(platform, "kent", Role.AUDITOR)
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        page = await client.get("/audit")
        downloaded = await client.get("/audit/chain.jsonl")

    assert 'href="/audit/chain.jsonl"' in page.text
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    found = check_export(downloaded.content.splitlines(keepends=True))
    assert found.problem is None
    last = msgspec.json.decode(downloaded.content.splitlines()[-1])
    assert last["content"]["action"] == "audit.chain_exported"  # the download is in it
    assert ChainHead(found.last_seq, found.last_hash) == await _head(platform, auditor.force_id)
