"""What a force may set for media_tools: preview sizes and the limits of the sandbox."""

import math

import msgspec

from exhibit_media_tools.sandbox import Limits


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Per-force settings; every field has a default, so ``{}`` is a valid configuration."""

    thumbnail_size: int = 640
    proxy_height: int = 480
    max_input_mb: int = 8192
    timeout_seconds: float = 600.0
    cpu_seconds: int = 500
    memory_mb: int = 2048
    max_output_mb: int = 4096
    proxy_seconds_per_minute: float = 120.0
    proxy_max_seconds: float = 7200.0

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
