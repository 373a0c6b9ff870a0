"""Exhibit plugin ``media_tools``: metadata, previews, originality checks and redaction.

Registered under the ``exhibit`` entry-point group as ``media_tools``. It contributes:

* a media processor (``MediaToolsProcessor``), which the core runs in a ``media.process``
  job for every photo, video and audio item of a force that enabled the plugin: metadata,
  a thumbnail or poster, originality findings and perceptual hashes;
* a second one (``ProxyProcessor``, key ``media_tools_proxy``) for the browser-playable
  proxy of video and audio where needed, in a job and a record of its own, so that a proxy
  that fails or runs out of time costs nothing of the analysis;
* the ``media_tools.redact`` job, which makes redacted (faces and drawn areas blurred) and
  disclosure (location and device metadata removed) copies of a photo or video;
* the officer's redaction form under ``/plugins/media_tools/``.

Every file is decoded in a separate process with CPU, memory, file-size and time limits.
That process imports this package too, so this module imports nothing heavy at the top:
the hooks import what they return.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import msgspec
    from litestar.types import ControllerRouterHandler

    from exhibit.jobs.handlers import JobHandler
    from exhibit.media.processor import MediaProcessor

# The same marker as ``exhibit.plugins.hookimpl``, without importing the core here.
hookimpl = pluggy.HookimplMarker("exhibit")


@hookimpl
def exhibit_plugin_config() -> "type[msgspec.Struct]":
    """Preview sizes and sandbox limits (all optional)."""
    from exhibit_media_tools.config import Config

    return Config


@hookimpl
def exhibit_media_processors() -> "Sequence[type[MediaProcessor]]":
    """The photo/video/audio processor, and the proxy of video and audio as a step apart."""
    from exhibit_media_tools.processor import MediaToolsProcessor, ProxyProcessor

    return [MediaToolsProcessor, ProxyProcessor]


@hookimpl
def exhibit_job_handlers() -> "dict[str, JobHandler]":
    """Redaction and disclosure copies, made on an officer's request."""
    from exhibit_media_tools.redaction_job import REDACT_JOB, redact_item

    return {REDACT_JOB: redact_item}


@hookimpl
def exhibit_web_routes() -> "Sequence[ControllerRouterHandler]":
    """The officer's redaction form."""
    from exhibit_media_tools.routes import RedactionController

    return [RedactionController]


@hookimpl
def exhibit_template_dir() -> Path:
    """The redaction form's template."""
    return Path(__file__).parent / "templates"
