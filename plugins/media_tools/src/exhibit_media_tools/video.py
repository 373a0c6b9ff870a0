"""Video and audio: metadata, a poster frame, a browser-playable proxy, key-frame hashes.

Runs only inside the sandbox process. FFmpeg (inside the PyAV wheel) is handed an open
file object and a demuxer from the allowlist, never a path or URL, and any attempt of a
format to open a second file is refused.
"""

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import av
import numpy as np
from av.container import InputContainer
from PIL import Image

from exhibit_media_tools.containers import av_demuxer
from exhibit_media_tools.images import perceptual_hash

PROXY_VIDEO = {"codec": "libx264", "preset": "veryfast", "crf": "28", "pix_fmt": "yuv420p"}
PROXY_AUDIO_BIT_RATE = 128_000
PROXY_AUDIO_RATE = 48_000
PROXY_AUDIO = {"codec": "aac", "bit_rate": PROXY_AUDIO_BIT_RATE, "sample_rate": PROXY_AUDIO_RATE}
# What browsers play as is: (container, video codecs, audio codecs); None = no such stream.
PLAYABLE: dict[str, tuple[set[str | None], set[str | None]]] = {
    "mov": ({"h264", None}, {"aac", "mp3", None}),
    "matroska": ({"vp8", "vp9", "av1", None}, {"opus", "vorbis", None}),
    "mp3": ({None}, {"mp3"}),
    "aac": ({None}, {"aac"}),
    "wav": ({None}, {"pcm_s16le", "pcm_u8"}),
    "ogg": ({None}, {"opus", "vorbis"}),
}
_DECODER_CODECS = {"mp3float": "mp3", "mp2float": "mp2", "aac_fixed": "aac"}
KEY_FRAME_HASHES = 8
"""At most this many key frames are hashed for duplicate detection."""
MAX_TEXT = 200
"""Longest text value (capture time, make, model, software) kept from the file's tags."""


class NestedOpenRefused(PermissionError):
    """A demuxer tried to open another file or URL (a playlist or concat trick)."""


def _refuse_nested_open(url: str, flags: int, options: dict[str, Any]) -> IO[bytes]:
    raise NestedOpenRefused("the file tried to make the decoder open another file or URL")


@contextmanager
def open_media(path: Path) -> Iterator[InputContainer]:
    """Open a video/audio file for reading with an allowlisted demuxer and no nested opens."""
    with path.open("rb") as handle:
        demuxer = av_demuxer(handle.read(64))
        handle.seek(0)
        container: InputContainer = av.open(  # type: ignore[assignment]
            handle,
            format=demuxer,
            io_open=_refuse_nested_open,
            options={"protocol_whitelist": "none"},
            timeout=30,
            # A tag that is not UTF-8 must not cost the whole analysis (PyAV's default: raise).
            metadata_errors="replace",
        )
        for stream in container.streams.video:
            stream.thread_type = "AUTO"  # frame threads too, as the ffmpeg command does
        try:
            yield container
        finally:
            container.close()


def av_metadata(container: InputContainer) -> dict[str, Any]:
    """Container and stream facts, capture time, place and device where the file says."""
    tags = {k.lower(): v for k, v in container.metadata.items()}
    video = next(iter(container.streams.video), None)
    audio = next(iter(container.streams.audio), None)
    metadata: dict[str, Any] = {
        "kind": "video" if video is not None else "audio",
        "container": container.format.name,
        "duration_seconds": round(container.duration / 1_000_000, 3)
        if container.duration
        else None,
        "bit_rate": container.bit_rate or None,
    }
    if video is not None:
        context = video.codec_context
        metadata.update(
            video_codec=context.name,
            width=context.width,
            height=context.height,
            frame_rate=float(video.average_rate) if video.average_rate else None,
            rotation=_rotation(container, video),
        )
    if audio is not None:
        metadata.update(
            audio_codec=_DECODER_CODECS.get(audio.codec_context.name, audio.codec_context.name),
            sample_rate=audio.codec_context.sample_rate,
            channels=audio.codec_context.channels,
        )
    if created := tags.get("com.apple.quicktime.creationdate") or tags.get("creation_time"):
        created = created[:MAX_TEXT]
        metadata["capture_time"] = created
        metadata["capture_time_zone_known"] = bool(re.search(r"(Z|[+-]\d{2}:?\d{2})$", created))
    location = tags.get("com.apple.quicktime.location.iso6709") or tags.get("location")
    if location and (position := parse_iso6709(location)):
        metadata["gps"] = position
    make = tags.get("com.apple.quicktime.make") or tags.get("make")
    model = tags.get("com.apple.quicktime.model") or tags.get("model")
    software = tags.get("com.apple.quicktime.software") or tags.get("encoder")
    for key, value in (("make", make), ("model", model), ("software", software)):
        if value:
            metadata[key] = value[:MAX_TEXT]
    return metadata


def _rotation(container: InputContainer, stream: Any) -> int:
    """Clockwise degrees to turn the picture upright, from the first frame's display matrix.

    Snapped to a multiple of 90: the proxy and poster can only apply quarter turns, and the
    derivatives' parameters must say what was really applied.
    """
    try:
        for frame in container.decode(stream):
            angle = float(frame.rotation or 0)
            return round(-angle / 90) % 4 * 90 if math.isfinite(angle) else 0
    except av.FFmpegError:
        return 0
    finally:
        container.seek(0)
    return 0


_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


def parse_iso6709(text: str) -> dict[str, float] | None:
    """Decimal degrees from an ISO 6709 string such as ``+51.5074-000.1278+010.000/``."""
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    position = {"latitude": float(match[1]), "longitude": float(match[2])}
    if match[3] and math.isfinite(altitude := float(match[3])):
        position["altitude"] = altitude  # a string of 400 digits reads as infinity
    if not (-90 <= position["latitude"] <= 90 and -180 <= position["longitude"] <= 180):
        return None
    return position


def needs_proxy(metadata: dict[str, Any]) -> bool:
    """True unless a browser plays the file as is (and it is of modest resolution)."""
    playable = PLAYABLE.get(str(metadata.get("container", "")).split(",")[0])
    if playable is None:
        return True
    videos: set[str | None] = playable[0]
    audios: set[str | None] = playable[1]
    if metadata.get("video_codec") not in videos or metadata.get("audio_codec") not in audios:
        return True
    return int(metadata.get("height") or 0) > 1080 or int(metadata.get("rotation") or 0) != 0


X264_MAX_SIDE = 16384
"""x264 refuses to open an encoder for a picture wider or higher than this."""


def proxy_refusal(metadata: dict[str, Any], height: int) -> str | None:
    """Why no proxy can be made of this video at ``height`` lines (None if one can)."""
    if metadata.get("kind") != "video":
        return None
    rotation = int(metadata.get("rotation") or 0)
    width, high = _proxy_size(int(metadata["width"]), int(metadata["height"]), rotation, height)
    if max(width, high) > X264_MAX_SIDE:
        return (
            f"no proxy: it would be {width}x{high} pixels and x264 encodes at most "
            f"{X264_MAX_SIDE} pixels a side"
        )
    return None


class Damage:
    """How many packets did not decode and were skipped (recorded with the derivative)."""

    def __init__(self) -> None:
        self.packets = 0


def decoded_frames(container: InputContainer, streams: list[Any], damage: Damage) -> Iterator[Any]:
    """The frames of ``streams``, skipping and counting packets that do not decode.

    As the ``ffmpeg`` command does: a clip with a damaged stretch (a phone's interrupted
    write, a bad copy) still gets its poster, hashes and proxy from the frames that decode,
    and ``damage`` says how many packets were lost, so the parameters can say so.
    """
    for packet in container.demux(*streams):
        try:
            frames = packet.decode()
        except av.FFmpegError:  # invalid data, or the decoder's own error for it
            damage.packets += 1
            continue
        yield from frames


def upright_frame(frame: av.VideoFrame, rotation: int) -> Image.Image:
    """A decoded frame as an upright PIL image."""
    picture: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
    return picture.rotate(-rotation, expand=True) if rotation else picture


def poster_and_hashes(
    container: InputContainer, target: Path, rotation: int, size: int
) -> tuple[dict[str, Any], list[tuple[float, str]]]:
    """Save a JPEG poster (the first key frame after 1 s, or the first) and hash key frames."""
    stream = container.streams.video[0]
    stream.codec_context.skip_frame = "NONKEY"
    hashes: list[tuple[float, str]] = []
    poster_at: float | None = None
    damage = Damage()
    for frame in decoded_frames(container, [stream], damage):
        at = float(frame.time or 0.0)
        picture = upright_frame(frame, rotation)
        if poster_at is None or (poster_at < 1.0 <= at and not hashes[1:]):
            picture.thumbnail((size, size), Image.Resampling.LANCZOS)
            picture.convert("RGB").save(target, "JPEG", quality=85)
            poster_at = at
        hashes.append((round(at, 3), perceptual_hash(upright_frame(frame, rotation))))
        if len(hashes) >= KEY_FRAME_HASHES:
            break
    stream.codec_context.skip_frame = "DEFAULT"
    container.seek(0)
    if poster_at is None:
        raise ValueError("the video has no frame that decodes")
    params = {
        "frame_time": poster_at,
        "max_size": size,
        "resample": "LANCZOS",
        "format": "JPEG",
        "quality": 85,
        "orientation_applied": rotation,
        "undecodable_packets_skipped": damage.packets,
    }
    return params, hashes


def make_proxy(
    container: InputContainer, target: Path, rotation: int, height: int
) -> dict[str, Any]:
    """Transcode to H.264/AAC in MP4 at most ``height`` lines high, turned upright."""
    source_video = next(iter(container.streams.video), None)
    source_audio = next(iter(container.streams.audio), None)
    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video_out = audio_out = graph = None
        if source_video is not None:
            context = source_video.codec_context
            width, high = _proxy_size(context.width, context.height, rotation, height)
            video_out = out.add_stream(
                "libx264",
                rate=source_video.average_rate or 25,
                options={"preset": PROXY_VIDEO["preset"], "crf": PROXY_VIDEO["crf"]},
            )
            video_out.width, video_out.height, video_out.pix_fmt = width, high, "yuv420p"
            graph = _video_graph(source_video, rotation, width, high)
        if source_audio is not None:
            audio_out = out.add_stream("aac", rate=PROXY_AUDIO_RATE)
            audio_out.bit_rate = PROXY_AUDIO_BIT_RATE
        streams = [s for s in (source_video, source_audio) if s is not None]
        damage = Damage()
        for frame in decoded_frames(container, streams, damage):
            if isinstance(frame, av.VideoFrame) and video_out is not None and graph:
                graph.push(frame)
                while (filtered := _pull(graph)) is not None:
                    out.mux(video_out.encode(filtered))
            elif isinstance(frame, av.AudioFrame) and audio_out is not None:
                frame.pts = None
                out.mux(audio_out.encode(frame))
        for stream in (video_out, audio_out):
            if stream is not None:
                out.mux(stream.encode(None))
    return {
        "container": "mp4 (+faststart)",
        "video": {**PROXY_VIDEO, "max_height": height, "rotation_applied": rotation}
        if source_video is not None
        else None,
        "audio": PROXY_AUDIO if source_audio is not None else None,
        "undecodable_packets_skipped": damage.packets,
    }


def _proxy_size(width: int, height: int, rotation: int, limit: int) -> tuple[int, int]:
    if rotation in (90, 270):
        width, height = height, width
    scale = min(1.0, limit / max(1, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _video_graph(stream: Any, rotation: int, width: int, height: int) -> av.filter.Graph:
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=stream)]
    turns = {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}
    for spec in turns.get(rotation, []):
        name, _, args = spec.partition("=")
        nodes.append(graph.add(name, args or None))
    nodes.append(graph.add("scale", f"{width}:{height}"))
    nodes.append(graph.add("format", "yuv420p"))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes).configure()
    return graph


def _pull(graph: av.filter.Graph) -> av.VideoFrame | None:
    try:
        frame = graph.vpull()
    except (av.BlockingIOError, av.EOFError):
        return None
    return frame


REDACTED_VIDEO = {"codec": "libx264", "preset": "veryfast", "crf": "20", "pix_fmt": "yuv420p"}
DETECT_EVERY = 5
"""Faces are looked for on every fifth frame; each box is kept until the next look."""


def redact_video(
    container: InputContainer,
    target: Path,
    rotation: int,
    boxes: list[tuple[int, int, int, int]],
    detect: bool,
) -> dict[str, Any]:
    """Re-encode upright at full size with ``boxes`` (and faces, if ``detect``) blurred."""
    from exhibit_media_tools.faces import DETECTOR, detect_faces
    from exhibit_media_tools.redaction import blur_array

    source_video = container.streams.video[0]
    source_audio = next(iter(container.streams.audio), None)
    context = source_video.codec_context
    width, height = _proxy_size(context.width, context.height, rotation, 1 << 16)
    found: list[tuple[int, int, int, int]] = []
    faces_seen = 0
    with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video_out = out.add_stream(
            "libx264",
            rate=source_video.average_rate or 25,
            options={"preset": REDACTED_VIDEO["preset"], "crf": REDACTED_VIDEO["crf"]},
        )
        video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
        audio_out = None
        if source_audio is not None:
            audio_out = out.add_stream("aac", rate=PROXY_AUDIO_RATE)
            audio_out.bit_rate = PROXY_AUDIO_BIT_RATE  # as the parameters below record
        graph = _video_graph(source_video, rotation, width, height)
        streams = [s for s in (source_video, source_audio) if s is not None]
        index = 0
        damage = Damage()
        for frame in decoded_frames(container, streams, damage):
            if isinstance(frame, av.VideoFrame):
                graph.push(frame)
                while (upright := _pull(graph)) is not None:
                    pixels = np.asarray(upright.to_ndarray(format="rgb24"), dtype=np.uint8)
                    if detect and index % DETECT_EVERY == 0:
                        found = detect_faces(pixels)
                        faces_seen += len(found)
                    blur_array(pixels, [*boxes, *found])
                    out.mux(video_out.encode(av.VideoFrame.from_ndarray(pixels, "rgb24")))
                    index += 1
            elif isinstance(frame, av.AudioFrame) and audio_out is not None:
                frame.pts = None
                out.mux(audio_out.encode(frame))
        for stream in (video_out, audio_out):
            if stream is not None:
                out.mux(stream.encode(None))
    return {
        "officer_boxes": [list(b) for b in boxes],
        "face_detector": DETECTOR if detect else None,
        "detect_every_frames": DETECT_EVERY if detect else None,
        "face_boxes_blurred": faces_seen,
        "frames": index,
        "undecodable_packets_skipped": damage.packets,
        "video": {**REDACTED_VIDEO, "rotation_applied": rotation},
        "audio": PROXY_AUDIO if source_audio is not None else None,
        "metadata": "none",
    }


def disclosure_video(container: InputContainer, target: Path) -> dict[str, Any]:
    """Copy the streams unchanged into a new file without the container's metadata."""
    streams = [s for s in (*container.streams.video[:1], *container.streams.audio[:1])]
    fmt = "mp4" if container.format.name.startswith("mov") else "matroska"
    with av.open(str(target), "w", format=fmt) as out:
        mapping = {}
        for stream in streams:
            copied = out.add_stream_from_template(stream)
            copied.metadata.clear()
            mapping[stream.index] = copied
        for packet in container.demux(*streams):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    return {
        "method": "streams copied unchanged (no re-encoding); container and stream metadata "
        "(location, make, model, creation time) dropped",
        "container": fmt,
    }
