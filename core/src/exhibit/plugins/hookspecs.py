"""The Exhibit hook API: everything a plugin can contribute or listen to, on one screen.

A plugin is a module (or object) registered under the entry-point group ``exhibit``; the
entry point's name is the plugin's id. It implements any of the hooks below with functions
marked ``@hookimpl`` (``from exhibit.plugins import hookimpl``), using the same name and any
subset of the arguments. A hook implementation with an unknown name, or with an argument the
hook does not offer, stops Exhibit at start-up with a message naming the plugin.

There are four kinds of hook:

* **Registration hooks** (plain ``def``) are called once per plugin at start-up. They
  contribute things: a configuration Struct, providers (storage backends, notifiers, media
  processors, share targets), job handlers, web routes and templates, CLI commands and
  database migrations. Providers are classes; which one a force uses is chosen by the
  force's configuration, and two plugins offering the same provider key is a start-up error.
* **Event hooks** (``async def``, required) are called after the fact, for one force, and
  only in the plugins that force has enabled. Each receives ``force`` (a ``ForceInfo``) and
  ``config`` (this plugin's configuration Struct for that force, or None). They run after
  the change is committed; an exception is logged and recorded against the plugin with its
  ``repr`` (so never put a secret in its message) and never undoes the change. They get
  snapshots, not a database session, and nothing retries them: work that must not be lost
  belongs to a provider the core queues with the change (a notifier, a media processor, a
  share target).
* **Veto hooks** (``async def``, required) may refuse something before it happens. They
  too reach only the enabled plugins of the force. An exception counts as a refusal, so a
  broken validator fails closed.
* **The check hook** (``async def``, required) tells an administrator whether the plugin can
  work with a force's settings; it is called for one plugin at a time, on demand and when
  a process starts.

Arguments are keyword-only snapshots (``exhibit.plugins.context``), never database rows.
"""

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import msgspec
import pluggy
from litestar.types import ControllerRouterHandler

from exhibit.jobs.handlers import JobHandler
from exhibit.media.processor import MediaProcessor
from exhibit.notifications.notifier import Notifier
from exhibit.plugins.context import (
    AuditEventInfo,
    ForceInfo,
    ItemInfo,
    ShareInfo,
    SubmissionInfo,
    UploadCandidate,
)
from exhibit.sharing.target import ShareTarget
from exhibit.storage.backend import StorageBackend

hookspec = pluggy.HookspecMarker("exhibit")

# Hook names by kind; the plugin manager checks implementations against these.
REGISTRATION_HOOKS = (
    "exhibit_plugin_config",
    "exhibit_storage_backends",
    "exhibit_notifiers",
    "exhibit_media_processors",
    "exhibit_share_targets",
    "exhibit_job_handlers",
    "exhibit_periodic_jobs",
    "exhibit_web_routes",
    "exhibit_template_dir",
    "exhibit_cli_commands",
    "exhibit_migrations",
)
EVENT_HOOKS = (
    "exhibit_evidence_received",
    "exhibit_submission_completed",
    "exhibit_item_accepted",
    "exhibit_item_declined",
    "exhibit_share_created",
    "exhibit_audit_event_written",
)
VETO_HOOKS = ("exhibit_validate_upload",)
CHECK_HOOKS = ("exhibit_check_settings",)


# --- Registration hooks: called once per plugin at start-up, synchronous ----------------


@hookspec
def exhibit_plugin_config() -> type[msgspec.Struct] | None:
    """Declare the configuration a force gives this plugin.

    Return a ``msgspec.Struct`` class declared with ``forbid_unknown_fields=True``. A force's
    configuration is converted to it strictly when an administrator saves it and again at
    start-up; an error names the plugin and the field. Annotate a field with
    ``exhibit.plugins.Secret`` for a password or API key: the administrator gives the value
    (stored encrypted) or the name of an environment variable, and the plugin calls
    ``.reveal()`` at the moment it needs the value. Return None (or do not implement this
    hook) for a plugin without configuration.

    The admin page (``/admin/plugins/<id>``) is made from the Struct: its docstring is the
    page's introduction, and each field's ``msgspec.Meta(title=..., description=...)`` its
    label and hint.

    Called once at start-up. Synchronous.
    """


@hookspec
def exhibit_storage_backends() -> Sequence[type[StorageBackend]]:
    """Contribute storage backends (``exhibit.storage.backend.StorageBackend``).

    Return classes; each has a class attribute ``key`` (e.g. ``"s3"``) that a force names in
    its ``storage_backend`` setting, and a constructor taking one ``ProviderContext`` whose
    ``config`` is this plugin's configuration for that force. Run the storage contract
    tests (``exhibit.testing.storage_contract``) against your backend.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_notifiers() -> Sequence[type[Notifier]]:
    """Contribute notifiers (``exhibit.notifications.notifier.Notifier``).

    Return classes; each has ``channel`` (``"sms"`` or ``"email"``) and ``key`` (the provider,
    e.g. ``"govuk_notify"``) class attributes and a constructor taking one
    ``ProviderContext``. A force that enables this plugin sends that channel's messages
    through it; a force with no notifier for a channel uses the built-in outbox.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_media_processors() -> Sequence[type[MediaProcessor]]:
    """Contribute media processors (``exhibit.media.processor.MediaProcessor``).

    Return classes with ``key`` and ``version`` class attributes and a constructor taking
    one ``ProviderContext``. Processors run in background jobs for items whose sniffed media
    type they accept, in every force that enabled this plugin.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_share_targets() -> Sequence[type[ShareTarget]]:
    """Contribute share targets (``exhibit.sharing.target.ShareTarget``).

    Return classes with a ``key`` class attribute and a constructor taking one
    ``ProviderContext``. An officer chooses among the targets of the plugins their force
    enabled.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_job_handlers() -> dict[str, JobHandler]:
    """Contribute background job handlers, by job kind.

    Return a mapping from kind to an ``async def handler(job: JobContext) -> None``. Each
    kind must start with this plugin's id and a dot (``"notify_sms.send"``). Enqueue jobs
    with ``exhibit.jobs.queue.enqueue``; a handler that raises is retried with back-off and
    finally marked failed with its error. Handlers must be safe to run twice.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_periodic_jobs() -> Mapping[str, timedelta]:
    """Declare which of this plugin's jobs recur, and how often: ``{kind: interval}``.

    Each kind must be one of this plugin's own ``exhibit_job_handlers``; the interval is at
    least a minute. Exhibit's workers queue the kind (payload ``{}``, no force) once its
    interval has passed since it was last queued and none is waiting, for the whole
    deployment: the handler finds the forces it concerns itself. Two workers may queue it at
    the same moment, so the handler must tolerate running twice (a sweep does). Use this for
    maintenance that must happen whether or not anyone remembers it (aborting abandoned
    uploads, say), rather than a job that queues its own next run.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_web_routes() -> Sequence[ControllerRouterHandler]:
    """Contribute Litestar route handlers or controllers, mounted under ``/plugins/<id>/``.

    Routes are mounted for every installed plugin; a request for a force that has not
    enabled the plugin is answered 404 (the force comes from the signed-in user or from a
    ``force_slug`` path parameter). Routes do their own authorisation beyond that.

    Called once at start-up. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_template_dir() -> Path | None:
    """Return a folder of Jinja2 templates, available to templates as ``<id>/<name>``.

    Called once at start-up. Synchronous.
    """


@hookspec
def exhibit_cli_commands() -> Sequence[click.Command]:
    """Contribute click commands, offered as ``exhibit <id> <command>``.

    Called once when the CLI starts. Synchronous.
    """
    raise NotImplementedError


@hookspec
def exhibit_migrations() -> Path | None:
    """Return the folder of this plugin's Alembic revision files, or None.

    The plugin's first revision carries ``branch_labels = ("<id>",)`` and
    ``depends_on`` a core revision; its tables are prefixed with the plugin id.
    ``exhibit migrate`` upgrades every installed plugin's branch, enabled or not.

    Called once at start-up. Synchronous.
    """


# --- Event hooks: after the fact, for one force's enabled plugins, async ---------------


@hookspec
async def exhibit_evidence_received(force: ForceInfo, config: Any, item: ItemInfo) -> None:
    """A file was received, hashed and stored as an evidence item.

    Called once per item, after it is committed. ``async def`` required.
    """


@hookspec
async def exhibit_submission_completed(
    force: ForceInfo, config: Any, submission: SubmissionInfo, items: Sequence[ItemInfo]
) -> None:
    """A witness finished a submission; ``items`` are the files it brought.

    ``items`` include those that were quarantined (``item.review_state``). Called once per
    submission, after it is committed. ``async def`` required.
    """


@hookspec
async def exhibit_item_accepted(force: ForceInfo, config: Any, item: ItemInfo, actor: str) -> None:
    """An officer accepted an item as an exhibit (``item.exhibit_reference`` is set).

    ``actor`` identifies the officer (``"user:<id>"``). After commit. ``async def`` required.
    """


@hookspec
async def exhibit_item_declined(
    force: ForceInfo, config: Any, item: ItemInfo, actor: str, reason: str
) -> None:
    """An officer declined an item, giving ``reason``.

    After commit. ``async def`` required.
    """


@hookspec
async def exhibit_share_created(force: ForceInfo, config: Any, share: ShareInfo) -> None:
    """A share of items with a partner was created.

    After commit. ``async def`` required.
    """


@hookspec
async def exhibit_audit_event_written(force: ForceInfo, config: Any, event: AuditEventInfo) -> None:
    """An event was appended to the force's audit chain (e.g. to mirror it to a SIEM).

    After commit. ``async def`` required. Must not itself cause audit events in a loop.
    """


# --- Veto hooks: before the fact, for one force's enabled plugins, async ----------------


@hookspec
async def exhibit_validate_upload(
    force: ForceInfo, config: Any, upload: UploadCandidate
) -> str | None:
    """Inspect a completed upload before it becomes evidence (e.g. a malware scan).

    Called only for files that passed the core's own checks: content of an accepted type
    (``upload.sniffed_type``, sniffed from the bytes) and, where the witness's device sent
    one, a matching SHA-256; any other file is quarantined without asking validators.
    ``upload.open()`` streams the stored bytes afresh on each call, in chunks of any size.

    Return None to let it through, or a short reason to refuse it: the file is then
    quarantined, never silently dropped, with ``"<id>: <reason>"`` as its quarantine reason,
    shown to the officer and written to the audit chain (``evidence.quarantined``). To tell
    the officer without refusing, return None here and report a finding from a media
    processor (``exhibit_media_processors``). An exception counts as a refusal.
    ``async def`` required.
    """


# --- The check hook: on demand, for one plugin and one force, async ---------------------


@hookspec
async def exhibit_check_settings(force: ForceInfo, config: Any) -> Sequence[str]:
    """Check that this plugin can work for ``force`` with ``config``, by trying the service.

    Saving settings only checks their form; this hook tells an administrator whether they
    work: the bucket exists and the credentials may write to it, the relay accepts the
    login, the partner's server answers. Return what is wrong, each in words the
    administrator can act on ("bucket 'evidence' does not exist: create it, or correct the
    bucket name"), or an empty sequence when all is well. Never include a secret.

    Called for one plugin with the force's stored settings, enabled or not: from the admin
    page's Check button, ``POST /api/v1/plugins/force/<id>/check``, ``exhibit force check
    SLUG``, and when ``exhibit serve`` and ``exhibit worker`` start (for every enabled
    plugin, problems logged as warnings). It must leave nothing behind that a witness or an
    officer could see (a probe object written and deleted again is fine). Exhibit stops
    waiting after a time-out and reports it as a problem; an exception is reported as a
    problem naming its type. ``async def`` required.
    """
    raise NotImplementedError
