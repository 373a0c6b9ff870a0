"""The media-processor contract: read an original, report metadata, make derivatives."""

from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, Protocol, runtime_checkable

import msgspec


class DerivativeOutput(msgspec.Struct, frozen=True, kw_only=True):
    """A file a processor made, with the provenance needed to reproduce it."""

    kind: str
    media_type: str
    data_path: str
    tool: str
    tool_version: str
    parameters: dict[str, Any]
    reason: str = ""


class ProcessingResult(msgspec.Struct, frozen=True, kw_only=True):
    """Metadata found in the original and the derivatives made from it."""

    metadata: dict[str, Any] = {}
    derivatives: tuple[DerivativeOutput, ...] = ()
    findings: tuple[str, ...] = ()


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
        self, media_type: str, open_original: Callable[[], AsyncIterator[bytes]], workdir: str
    ) -> ProcessingResult:
        """Read the original, write derivatives under ``workdir``, return what was found."""
        ...
