"""Hostile files made on the spot: a decompression bomb, truncations, playlists, concat lists."""

import struct
import zlib


def png_bomb(width: int, height: int) -> bytes:
    """A small PNG that claims ``width`` x ``height`` greyscale pixels, all zero."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def hls_playlist(url: str) -> bytes:
    """An HLS playlist that would make FFmpeg fetch ``url``."""
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
        f"#EXTINF:10.0,\n{url}\n#EXT-X-ENDLIST\n"
    ).encode()


def ffconcat(path: str) -> bytes:
    """An FFmpeg concat list that would make FFmpeg read ``path``."""
    return f"ffconcat version 1.0\nfile '{path}'\n".encode()
