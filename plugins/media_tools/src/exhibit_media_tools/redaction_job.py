"""The ``media_tools.redact`` job: redacted and disclosure copies of a photo or video.

An officer's request (see ``routes``) queues the job with the rectangles they drew; the
work happens in the sandbox and every copy is recorded as a derivative with its reason and
provenance, audited under the officer's name.
"""

import logging
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.forces.plugin_settings import enabled_plugins
from exhibit.jobs.queue import enqueue
from exhibit.media.pipeline import add_derivatives, original_of, record_error
from exhibit.media.processor import ProcessingFailed
from exhibit.media.records import Provenance
from exhibit.plugins import JobContext
from exhibit_media_tools.config import Config
from exhibit_media_tools.processor import VERSION, copy_original, derivative_output
from exhibit_media_tools.sandbox import run_sandboxed

REDACT_JOB = "media_tools.redact"


log = logging.getLogger(__name__)


async def queue_redaction(
    session: AsyncSession,
    item_id: int,
    *,
    actor: str,
    reason: str,
    boxes: list[tuple[int, int, int, int]],
    detect_faces: bool,
    redact: bool = True,
    disclosure: bool = False,
) -> int:
    """Queue a redaction of an item in the caller's (force) transaction; return the job id."""
    job = await enqueue(
        session,
        REDACT_JOB,
        {
            "item_id": item_id,
            "actor": actor,
            "reason": reason,
            "boxes": [list(b) for b in boxes],
            "detect_faces": detect_faces,
            "redact": redact,
            "disclosure": disclosure,
        },
        max_attempts=3,
    )
    return job.id


async def redact_item(job: JobContext) -> None:
    """Job handler: make the copies asked for and record them, or record why it failed."""
    if job.force_id is None:
        raise ValueError("redaction jobs belong to a force")
    payload: dict[str, Any] = job.payload
    platform, force_id, item_id = job.platform, job.force_id, int(payload["item_id"])
    async with platform.force_session(force_id) as session:
        enabled = await enabled_plugins(session, platform.plugins, platform.secret_box, force_id)
    config = enabled.get("media_tools")
    config = config if isinstance(config, Config) else Config()
    try:
        item, reader = await original_of(platform, force_id, item_id)
    except LookupError as exc:  # disposed of (or quarantined) after the officer asked
        log.info("redaction of item %s not made: %s", item_id, exc)
        return
    provenance = Provenance(
        processor="media_tools.redact",
        processor_version=VERSION,
        input_sha256=item.sha256,
        actor=str(payload["actor"]),
    )
    with tempfile.TemporaryDirectory(prefix="exhibit-redact-") as workdir:
        outdir = Path(workdir) / "out"
        outdir.mkdir()
        try:
            source = await copy_original(reader, Path(workdir), config.max_input_mb)
            answer = await run_sandboxed(
                {
                    "op": "redact",
                    "input": str(source),
                    "workdir": str(outdir),
                    "options": {
                        k: payload[k]
                        for k in ("boxes", "detect_faces", "redact", "disclosure", "reason")
                    },
                },
                config.limits(),
            )
        except ProcessingFailed as exc:
            await record_error(platform, force_id, item_id, provenance, str(exc))
            return
        outputs = [derivative_output(made) for made in answer["derivatives"]]
        try:
            await add_derivatives(platform, force_id, item_id, outputs, provenance, workdir)
        except LookupError as exc:  # disposed of (or gone) while the copy was being made
            log.info("redaction of item %s not kept: %s", item_id, exc)
