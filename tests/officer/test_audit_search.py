"""The audit search: filters, newest first a page at a time, CSV, and verifying the chain."""

import csv
import io
import re
from datetime import timedelta

from exhibit.accounts.models import Role
from exhibit.audit import log as audit
from exhibit.db.base import utcnow
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.settings import Settings
from tests.audit.test_audit_chain import _tamper
from tests.fixtures.officer import audit_events, browser, make_user, sign_in


async def _events(platform: Platform, force_id: int, count: int) -> None:
    async with force_transaction(platform, force_id) as tx:
        for n in range(count):
            await audit.record(
                tx.session,
                force_id,
                actor="system" if n % 2 else "user:999",
                action="item.accepted" if n % 3 == 0 else "item.viewed",
                object_type="item",
                object_id=n,
                details={"n": n},
            )


async def test_a_supervisor_filters_the_log_newest_first_a_page_at_a_time(
    settings: Settings, platform: Platform
) -> None:
    supervisor = await make_user(platform, role=Role.SUPERVISOR, name="Sgt Search")
    other = await make_user(platform, "essex", role=Role.SUPERVISOR)
    await _events(platform, supervisor.force_id, 120)
    await _events(platform, other.force_id, 3)
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        first = await client.get("/audit", params={"action": "item.viewed"})
        assert first.status_code == 200
        assert "80 events" in first.text
        seqs = [int(s) for s in first.text.split('data-seq="')[1:] for s in [s.split('"')[0]]]
        assert len(seqs) == 50 and seqs == sorted(seqs, reverse=True)
        second = await client.get("/audit", params={"action": "item.viewed", "page": "2"})
        more = [int(s.split('"')[0]) for s in second.text.split('data-seq="')[1:]]
        assert max(more) < min(seqs)

        prefix = await client.get("/audit", params={"action": "item.", "actor": "system"})
        assert "60 events" in prefix.text
        one = await client.get("/audit", params={"object": "item:7"})
        assert "1 event<" in one.text
        by_name = await client.get("/audit", params={"actor": "sgt search"})
        assert "user.signed_in" in by_name.text  # the supervisor's own sign-in
        assert "item.viewed" not in by_name.text

        today = utcnow().date()
        none = await client.get("/audit", params={"to": str(today - timedelta(days=2))})
        assert "0 events" in none.text
        bad = await client.get("/audit", params={"from": "25/11/2026"})
        assert bad.status_code == 400
        assert "Enter a date like" in bad.text
        backwards = await client.get("/audit", params={"from": str(today), "to": "2020-01-01"})
        assert backwards.status_code == 400
        assert (await client.get("/audit", params={"page": "0"})).status_code == 400
        # The calendar's last day is a date too (the day after it is not).
        until_the_end = await client.get("/audit", params={"action": "item.", "to": "9999-12-31"})
        assert until_the_end.status_code == 200
        assert "120 events" in until_the_end.text
        csv_to_the_end = await client.get("/audit/export.csv", params={"to": "9999-12-31"})
        assert csv_to_the_end.status_code == 200


async def test_a_wrong_date_is_linked_from_the_summary_and_described_on_its_field(
    settings: Settings, platform: Platform
) -> None:
    supervisor = await make_user(platform, role=Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        bad = await client.get("/audit", params={"from": "25/11/2026", "to": "someday"})
        fine = await client.get("/audit", params={"from": "2026-11-25"})
    assert bad.status_code == 400
    summary = bad.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert re.findall(r'href="#([a-z]+)"', summary) == ["from", "to"]
    for name in ("from", "to"):
        field = re.search(rf'<input [^>]*id="{name}"[^>]*>', bad.text)
        assert field, name
        assert f'aria-describedby="{name}-error"' in field.group(0)
        assert f'<p id="{name}-error" class="govuk-error-message">' in bad.text
    assert 'aria-describedby="from-error"' not in fine.text
    assert 'id="from-error"' not in fine.text


async def test_the_csv_download_is_the_filtered_log_and_is_audited(
    settings: Settings, platform: Platform
) -> None:
    auditor = await make_user(platform, role=Role.AUDITOR)
    await _events(platform, auditor.force_id, 6)
    async with force_transaction(platform, auditor.force_id) as tx:
        await audit.record(
            tx.session,
            auditor.force_id,
            actor="system",
            action="item.declined",
            object_type="item",
            object_id=99,
            reason='=HYPERLINK("http://evil")',
        )
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        response = await client.get("/audit/export.csv", params={"object": "item"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert rows[-1]["reason"].startswith("'=")  # not a formula when opened in a spreadsheet
    [exported] = await audit_events(platform, auditor.force_id, "audit.exported")
    assert exported.details == {"filters": {"object": "item"}, "rows": 7}


async def test_verifying_the_chain_shows_intact_then_broken(
    settings: Settings, platform: Platform
) -> None:
    auditor = await make_user(platform, role=Role.AUDITOR)
    await _events(platform, auditor.force_id, 3)
    async with browser(settings) as client:
        await sign_in(client, auditor.email)
        intact = await client.get("/audit/verify")
        assert 'data-chain="ok"' in intact.text
        assert re.search(r"<code data-chain-head>[0-9]+:[0-9a-f]{64}</code>", intact.text)
        await _tamper(platform, "UPDATE audit_event SET reason = 'rewritten' WHERE seq = 2")
        broken = await client.get("/audit/verify")
        assert 'data-chain="broken"' in broken.text
        assert "At event 2" in broken.text
    assert len(await audit_events(platform, auditor.force_id, "audit.verified")) == 2


async def test_officers_and_admins_search_their_own_force_only(
    settings: Settings, platform: Platform
) -> None:
    officer = await make_user(platform)
    async with browser(settings) as client:
        await sign_in(client, officer.email)
        assert (await client.get("/audit")).status_code == 403
        assert "Audit" not in (await client.get("/cases")).text.split("<main")[0]
