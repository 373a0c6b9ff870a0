"""The media_tools processor: copies the original aside, analyses it in the sandbox."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, ClassVar

from exhibit.media.processor import (
    DerivativeOutput,
    PerceptualHash,
    ProcessingFailed,
    ProcessingResult,
)
from exhibit.plugins import ItemInfo, ProviderContext
from exhibit_media_tools.config import Config
from exhibit_media_tools.originality import findings
from exhibit_media_tools.sandbox import SandboxFailed, run_sandboxed

VERSION = "1.0"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})


class MediaToolsProcessor:
    """Metadata, previews, originality findings and perceptual hashes for photos, video, audio.

    The proxy of a video is ``ProxyProcessor``'s work, so that it cannot cost these.
    """

    key: ClassVar[str] = "media_tools"
    version: ClassVar[str] = VERSION

    def __init__(self, context: ProviderContext) -> None:
        self.config: Config = context.config if isinstance(context.config, Config) else Config()

    def accepts(self, media_type: str) -> bool:
        """Photos Pillow decodes, and any video or audio (the container is checked later)."""
        return media_type in IMAGE_TYPES or media_type.startswith(
            ("video/", "audio/", "application/ogg")
        )

    async def process(
        self, item: ItemInfo, open_original: Callable[[], AsyncIterator[bytes]], workdir: str
    ) -> ProcessingResult:
        """Analyse the original in the sandbox; raise ``ProcessingFailed`` if it cannot be."""
        source = await copy_original(open_original, Path(workdir), self.config.max_input_mb)
        outdir = Path(workdir) / "out"
        outdir.mkdir()
        answer = await run_sandboxed(
            {
                "op": "analyse",
                "input": str(source),
                "workdir": str(outdir),
                "options": {"thumbnail_size": self.config.thumbnail_size},
            },
            self.config.limits(),
        )
        metadata: dict[str, Any] = answer["metadata"]
        return ProcessingResult(
            metadata=metadata,
            derivatives=tuple(derivative_output(d) for d in answer["derivatives"]),
            findings=tuple(findings(metadata, item.original_filename, item.received_at)),
            hashes=tuple(
                PerceptualHash(algorithm="phash", value=value, position=at)
                for at, value in answer["hashes"]
            ),
        )


class ProxyProcessor:
    """The browser-playable proxy of video and audio that a browser cannot play as is.

    A step of its own, run and recorded apart from ``MediaToolsProcessor``: a proxy that
    cannot be made, or takes too long, is recorded as this step's failure with its reason
    and costs the item nothing of its analysis. A short first run reads how long the file
    plays and refuses up front a proxy x264 cannot encode; the proxy's own run has limits
    that grow with that duration (``Config.proxy_limits``).
    """

    key: ClassVar[str] = "media_tools_proxy"
    version: ClassVar[str] = VERSION

    def __init__(self, context: ProviderContext) -> None:
        self.config: Config = context.config if isinstance(context.config, Config) else Config()

    def accepts(self, media_type: str) -> bool:
        """Any video or audio (photos need no proxy)."""
        return media_type.startswith(("video/", "audio/", "application/ogg"))

    async def process(
        self, item: ItemInfo, open_original: Callable[[], AsyncIterator[bytes]], workdir: str
    ) -> ProcessingResult:
        """Make the proxy if one is needed; raise ``ProcessingFailed`` with the reason if not."""
        source = await copy_original(open_original, Path(workdir), self.config.max_input_mb)
        outdir = Path(workdir) / "out"
        outdir.mkdir()
        request = {
            "input": str(source),
            "workdir": str(outdir),
            "options": {"proxy_height": self.config.proxy_height},
        }
        try:
            plan = await run_sandboxed({**request, "op": "plan_proxy"}, self.config.limits())
            if not plan["needed"]:
                return ProcessingResult()
            if plan["refused"]:
                raise ProcessingFailed(str(plan["refused"]))  # says "no proxy: ..." already
            limits = self.config.proxy_limits(plan["duration_seconds"])
            answer = await run_sandboxed({**request, "op": "proxy"}, limits)
        except SandboxFailed as exc:
            raise ProcessingFailed(f"no proxy: {exc}") from exc
        return ProcessingResult(
            derivatives=tuple(derivative_output(d) for d in answer["derivatives"])
        )


async def copy_original(
    open_original: Callable[[], AsyncIterator[bytes]], workdir: Path, max_mb: int
) -> Path:
    """Write the original to ``workdir/original`` (the sandbox reads this copy, not the store)."""
    target = workdir / "original"
    written = 0
    with target.open("wb") as handle:
        async for chunk in open_original():
            written += len(chunk)
            if written > max_mb * 1024 * 1024:
                raise ProcessingFailed(f"the file is larger than the {max_mb} MB we process")
            handle.write(chunk)
    return target


def derivative_output(made: dict[str, Any]) -> DerivativeOutput:
    """A derivative the sandbox reported, with the library versions in its provenance."""
    versions: dict[str, str] = made["tool_versions"]
    main = {"Pillow": "Pillow", "PyAV": "PyAV"}.get(made["tool"].split(" ")[0], "Pillow")
    detail = f"{main} {versions.get(main, '?')}"
    if main == "PyAV":
        detail += f", libavcodec {versions.get('libavcodec', '?')}"
    if "OpenCV" in made["tool"]:
        detail += f", opencv {versions.get('cv2', '?')}"
    return DerivativeOutput(
        kind=made["kind"],
        media_type=made["media_type"],
        data_path=made["path"],
        tool=made["tool"],
        tool_version=detail,
        parameters={**made["parameters"], "library_versions": versions},
        reason=made["reason"],
    )
