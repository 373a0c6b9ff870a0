"""Releasing a quarantined item into review: a supervisor's decision, with a reason, audited,
shown on the item page, and never a way to have untrusted content shown inline."""

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import delete, select

from exhibit.accounts.models import Role, User
from exhibit.evidence.models import Derivative, EvidenceItem, ReviewState
from exhibit.evidence.quarantine import release
from exhibit.forces.plugin_settings import configure_plugin
from exhibit.forces.transaction import force_transaction
from exhibit.jobs.models import Job
from exhibit.media.pipeline import PROCESS_JOB
from exhibit.media.processor import MediaProcessor, ProcessingResult
from exhibit.platform import Platform
from exhibit.plugins import hookimpl
from exhibit.plugins.context import ProviderContext
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from tests.evidence.arrivals import DOCX, arrived, docx, png, with_derivative
from tests.fixtures.officer import audit_events, browser, make_user, sign_in, submit
from tests.fixtures.witness import Scene, make_scene
from tests.officer.field_errors import assert_refused_by_field

OFFICER = "officer@kent.test"


async def _quarantined_document(platform: Platform, scene: Scene) -> int:
    item_id = await arrived(platform, scene, docx(), filename="statement.docx", declared_type=DOCX)
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        assert item.review_state == ReviewState.QUARANTINED
    return item_id


async def _item(platform: Platform, scene: Scene, item_id: int) -> EvidenceItem:
    async with platform.force_session(scene.force_id) as session:
        item = await session.get(EvidenceItem, item_id)
        assert item is not None
        return item


async def test_a_supervisor_releases_a_quarantined_document_into_review(
    settings: Settings, platform: Platform
) -> None:
    scene = await make_scene(platform)
    item_id = await _quarantined_document(platform, scene)
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR, name="Sgt Ann Lee")
    url = f"/items/{item_id}/release"
    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        page = await client.get(f"/items/{item_id}")
        assert "data-quarantine>" in page.text
        assert "is not an accepted photo, video, audio or document" in page.text
        assert 'data-action="accept"' not in page.text
        assert 'data-action="decline"' in page.text  # it can still be declined
        assert f'action="{url}"' not in page.text  # an officer may not release it
        assert (await submit(client, url, {"reason": "I opened it"})).status_code == 403

    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        page = await client.get(f"/items/{item_id}")
        assert f'action="{url}"' in page.text
        blank = await submit(client, url, {"reason": "  "})
        message = "Say why the item may be released from quarantine"
        assert_refused_by_field(blank, "release-reason", message, "  ")
        too_long = "Opened it " * 201
        refused = await submit(client, url, {"reason": too_long})
        message = "A reason is at most 2000 characters"
        assert_refused_by_field(refused, "release-reason", message, too_long)
        assert (await _item(platform, scene, item_id)).review_state == ReviewState.QUARANTINED
        assert await audit_events(platform, scene.force_id, "item.quarantine_released") == []

        reason = "Opened in a sandbox: a statement the witness typed"
        released = await submit(client, url, {"reason": reason})
        assert released.status_code == 200
        assert "Released from quarantine" in released.text
        assert "data-quarantine-released" in released.text
        assert "Released into review by Sgt Ann Lee" in released.text
        assert reason in released.text
        assert "is not an accepted photo, video, audio or document" in released.text
        assert 'data-action="accept"' in released.text
        assert f'action="{url}"' not in released.text
        # Released is not trusted: a Word document is still never shown inline.
        assert 'data-preview="none"' in released.text
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 404
        again = await submit(client, url, {"reason": "Twice"})
        assert "Statement.docx is not quarantined" in again.text
        history = await client.get(f"/items/{item_id}/continuity")
        assert "Released from quarantine into review" in history.text

    item = await _item(platform, scene, item_id)
    assert item.review_state == ReviewState.PENDING
    assert "is not an accepted" in item.quarantine_reason  # what was found is kept
    [event] = await audit_events(platform, scene.force_id, "item.quarantine_released")
    assert (event.actor, event.reason) == (f"user:{supervisor.user_id}", reason)
    assert event.details["sniffed_type"] == DOCX
    assert event.details["sha256"] == item.sha256

    async with browser(settings) as client:
        await sign_in(client, OFFICER)
        await client.get(f"/items/{item_id}")
        accepted = await submit(client, f"/items/{item_id}/accept", {})
        assert "Accepted as exhibit T/1." in accepted.text


class DocumentReader:
    """A media processor that takes Word documents (and does nothing with them)."""

    key: ClassVar[str] = "document_reader"
    version: ClassVar[str] = "1"

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def accepts(self, media_type: str) -> bool:
        """Word documents only."""
        return media_type == DOCX

    async def process(self, item: Any, open_original: Any, workdir: str) -> ProcessingResult:
        """Nothing found."""
        return ProcessingResult()


class DocumentReaderPlugin:
    """Offers the document reader."""

    @hookimpl
    def exhibit_media_processors(self) -> Sequence[type[MediaProcessor]]:
        """The document reader."""
        return [DocumentReader]


async def test_a_released_item_is_processed_like_any_arrival(settings: Settings) -> None:
    platform = Platform(
        settings, load_builtin_plugins([("document_reader", DocumentReaderPlugin())])
    )
    try:
        scene = await make_scene(platform)
        async with force_transaction(platform, scene.force_id) as tx:
            await configure_plugin(
                tx.session,
                platform.plugins,
                platform.secret_box,
                scene.force_id,
                "document_reader",
                enabled=True,
                config=None,
                actor="test",
            )
        item_id = await arrived(platform, scene, docx(), declared_type=DOCX)
        assert await _processing_jobs(platform) == 0  # quarantined: not processed
        supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
        async with force_transaction(platform, scene.force_id) as tx:
            item = await tx.session.get(EvidenceItem, item_id, with_for_update=True)
            user = await tx.session.get(User, supervisor.user_id)
            assert item is not None and user is not None
            await release(platform, tx, item, user, "Checked")
        assert await _processing_jobs(platform) == 1
    finally:
        await platform.close()


async def _processing_jobs(platform: Platform) -> int:
    async with platform.system_session() as session:
        return len(list(await session.scalars(select(Job.id).where(Job.kind == PROCESS_JOB))))


async def test_a_quarantined_photo_is_shown_only_through_exhibits_own_copies(
    settings: Settings, platform: Platform
) -> None:
    """A PNG a scanner refused (or whose hash differs from the phone's) is a real image: its
    original bytes still never reach the officer's browser to be decoded inline."""
    scene = await make_scene(platform)
    photo = png()
    item_id = await arrived(platform, scene, photo)
    async with force_transaction(platform, scene.force_id) as tx:
        item = await tx.session.get(EvidenceItem, item_id)
        assert item is not None
        item.review_state = ReviewState.QUARANTINED
        item.quarantine_reason = "scanner: refused"
    supervisor = await make_user(platform, "kent", Role.SUPERVISOR)
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        page = await client.get(f"/items/{item_id}")
        assert 'data-preview="none"' in page.text
        assert (await client.get(f"/items/{item_id}/preview")).status_code == 404

        thumbnail = png(16, 12)
        await with_derivative(platform, scene, item_id, thumbnail)
        shown = await client.get(f"/items/{item_id}/preview")
        assert (shown.status_code, shown.content) == (200, thumbnail)

        await submit(client, f"/items/{item_id}/release", {"reason": "Scanned again: clean"})
    async with force_transaction(platform, scene.force_id) as tx:
        await tx.session.execute(delete(Derivative).where(Derivative.item_id == item_id))
    async with browser(settings) as client:
        await sign_in(client, supervisor.email)
        released = await client.get(f"/items/{item_id}/preview")
        assert (released.status_code, released.content) == (200, photo)
