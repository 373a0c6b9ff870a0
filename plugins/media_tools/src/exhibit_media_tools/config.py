"""What a force may set for media_tools: preview sizes and the limits of the sandbox."""

import math
from typing import Annotated

import msgspec

from exhibit_media_tools.sandbox import Limits


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Thumbnails and video proxies, made in a sandbox with limits on time, memory and file
    size. Every setting has a default, so the plugin works with none given; the limits
    refuse values the sandbox could not apply (zero, negative, or beyond any machine)."""

    thumbnail_size: Annotated[
        int,
        msgspec.Meta(
            ge=16,
            le=4096,
            title="Thumbnail size (pixels)",
            description="The longer side of a photo's or video's thumbnail.",
        ),
    ] = 640
    proxy_height: Annotated[
        int,
        msgspec.Meta(
            ge=16,
            le=4320,
            title="Video proxy height (pixels)",
            description="The height of the playable copy made of a video.",
        ),
    ] = 480
    max_input_mb: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=10_000_000,
            title="Largest file processed (MB)",
            description="Larger files are kept but get no thumbnail or proxy.",
        ),
    ] = 8192
    timeout_seconds: Annotated[
        float,
        msgspec.Meta(
            gt=0,
            le=86_400,
            title="Time limit per file (seconds)",
            description="Wall-clock time the tools may spend on one file.",
        ),
    ] = 600.0
    cpu_seconds: Annotated[
        int, msgspec.Meta(ge=1, le=86_400, title="CPU time limit per file (seconds)")
    ] = 500
    memory_mb: Annotated[
        int,
        msgspec.Meta(
            ge=64,
            le=1_048_576,
            title="Memory limit (MB)",
            description="Memory the sandboxed tools may use.",
        ),
    ] = 2048
    max_output_mb: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=10_000_000,
            title="Largest file written (MB)",
            description="The largest thumbnail or proxy the tools may write.",
        ),
    ] = 4096
    proxy_seconds_per_minute: Annotated[
        float, msgspec.Meta(ge=0, le=86_400, title="Extra proxy time per minute of video (seconds)")
    ] = 120.0
    proxy_max_seconds: Annotated[
        float, msgspec.Meta(gt=0, le=86_400, title="Longest time for one proxy (seconds)")
    ] = 7200.0

    def limits(self) -> Limits:
        """The sandbox limits these settings describe."""
        return Limits(
            wall_seconds=self.timeout_seconds,
            cpu_seconds=self.cpu_seconds,
            memory_bytes=self.memory_mb * 1024 * 1024,
            file_bytes=self.max_output_mb * 1024 * 1024,
        )

    def proxy_limits(self, duration_seconds: float | None) -> Limits:
        """The limits of making a proxy of media that plays ``duration_seconds``.

        The wall-clock and CPU-time limits grow by ``proxy_seconds_per_minute`` per minute
        played, up to ``proxy_max_seconds`` each; a file that does not say how long it
        plays gets that ceiling.
        """
        if duration_seconds is None:
            extra = math.inf
        else:
            extra = max(0.0, self.proxy_seconds_per_minute * duration_seconds / 60)
        return msgspec.structs.replace(
            self.limits(),
            wall_seconds=min(self.proxy_max_seconds, self.timeout_seconds + extra),
            cpu_seconds=max(1, math.ceil(min(self.proxy_max_seconds, self.cpu_seconds + extra))),
        )
