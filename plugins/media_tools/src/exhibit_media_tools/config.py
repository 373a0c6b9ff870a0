"""What a force may set for media_tools: preview sizes and the limits of the sandbox."""

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

    def limits(self) -> Limits:
        """The sandbox limits these settings describe."""
        return Limits(
            wall_seconds=self.timeout_seconds,
            cpu_seconds=self.cpu_seconds,
            memory_bytes=self.memory_mb * 1024 * 1024,
            file_bytes=self.max_output_mb * 1024 * 1024,
        )
