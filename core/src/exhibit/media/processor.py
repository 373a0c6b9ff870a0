"""The media-processor contract: read an original, report metadata, make derivatives."""

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import msgspec

if TYPE_CHECKING:  # exhibit.plugins imports this module: avoid the cycle at run time
    from exhibit.plugins.context import ItemInfo


class DerivativeOutput(msgspec.Struct, frozen=True, kw_only=True):
    """A file a processor made, with the provenance needed to reproduce it.

    ``data_path`` must lie inside the ``workdir`` the processor was given. ``tool_version``
    names every library version that touched the bytes.
    """

    kind: str
    media_type: str
    data_path: str
    tool: str
    tool_version: str
    parameters: dict[str, Any]
    reason: str = ""


class PerceptualHash(msgspec.Struct, frozen=True, kw_only=True):
    """A perceptual hash of a picture (a photo, or a video frame ``position`` s in)."""

    algorithm: str
    value: str
    position: float | None = None


class ProcessingResult(msgspec.Struct, frozen=True, kw_only=True):
    """Metadata found in the original, the derivatives made from it and what was noticed.

    ``findings`` are short ``"code: explanation"`` strings for the officer (for example signs
    that the file is not the original recording).
    """

    metadata: dict[str, Any] = {}
    derivatives: tuple[DerivativeOutput, ...] = ()
    findings: tuple[str, ...] = ()
    hashes: tuple[PerceptualHash, ...] = ()


class ProcessingFailed(Exception):
    """The file could not be processed (corrupt, hostile, over a limit): recorded, not retried.

    Any other exception from ``process`` counts as a passing fault, and the job is retried.
    """


@runtime_checkable
class MediaProcessor(Protocol):
    """Processes originals of the media types it accepts.

    ``key`` names the processor; ``version`` is recorded with everything it makes;
    ``accepts`` says whether it handles a sniffed media type. ``process`` runs in a job,
    never in a request, and must treat the bytes as hostile.
    """

    key: ClassVar[str]
    version: ClassVar[str]

    def accepts(self, media_type: str) -> bool:
        """True if this processor handles files of ``media_type``."""
        ...

    async def process(
        self, item: "ItemInfo", open_original: Callable[[], AsyncIterator[bytes]], workdir: str
    ) -> ProcessingResult:
        """Read the original, write derivatives under ``workdir``, return what was found.

        Raise ``ProcessingFailed`` for a file that cannot be processed.
        """
        ...
