"""Test media made on the spot with Pillow and PyAV: no binary fixtures in the repository."""

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()

GPS_IFD, EXIF_IFD = 0x8825, 0x8769


def scene(width: int = 640, height: int = 480, seed: int = 1) -> Image.Image:
    """A picture with structure (gradient, shapes), different for each seed."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    base = np.stack([x + 0 * y, y + 0 * x, (x[::-1] + y) / 2], axis=-1).astype(np.uint8)
    image = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 60)), int(rng.integers(0, height - 60))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.rectangle((x0, y0, x0 + 50, y0 + 40), fill=colour)
    return image


def exif(
    *,
    make: str = "Apple",
    model: str = "iPhone 15",
    taken: str | None = "2026:11:20 21:15:30",
    offset: str | None = "+00:00",
    gps: tuple[float, float] | None = (51.5007, -0.1246),
    orientation: int = 1,
    software: str | None = None,
) -> Image.Exif:
    """EXIF as a phone writes it: device, capture time with offset, position, orientation."""
    data = Image.Exif()
    data[0x010F], data[0x0110], data[0x0112] = make, model, orientation
    if software:
        data[0x0131] = software
    details = data.get_ifd(EXIF_IFD)
    if taken:
        details[0x9003] = taken
        if offset:
            details[0x9011] = offset
    if gps:
        lat, lon = gps
        position = data.get_ifd(GPS_IFD)
        position[1], position[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        position[3], position[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    return data


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10000)


def photo(
    image: Image.Image, fmt: str = "JPEG", data: Image.Exif | None = None, **opts: object
) -> bytes:
    """Encode ``image`` as ``fmt`` with EXIF ``data`` (none if None)."""
    out = io.BytesIO()
    if data is not None:
        opts["exif"] = data.tobytes()
    image.save(out, fmt, **opts)
    return out.getvalue()


def video(
    path: Path,
    *,
    codec: str = "libx264",
    fmt: str = "mp4",
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    rate: int = 25,
    audio_codec: str | None = "aac",
    metadata: dict[str, str] | None = None,
    rotation: int = 0,
    options: dict[str, str] | None = None,
    seed: int = 3,
) -> bytes:
    """Write a short video with moving shapes (and a tone) and return its bytes."""
    width, height = size
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream(codec, rate=rate)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "libx265":
            stream.codec_context.codec_tag = "hvc1"
            stream.options = {"x265-params": "log-level=error"}
        if rotation:
            stream.set_display_rotation(rotation)
        audio: av.AudioStream | None = None
        if audio_codec:
            added = out.add_stream(audio_codec, rate=8000 if "amr" in audio_codec else 48000)
            assert isinstance(added, av.AudioStream)
            audio = added
            if "amr" in audio_codec:
                audio.layout = "mono"
        picture = scene(width, height, seed)
        frames = int(seconds * rate)
        for index in range(frames):
            shifted = np.roll(np.asarray(picture), index * 2, axis=1)
            frame = av.VideoFrame.from_ndarray(shifted, format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if audio is not None:
            _tone(out, audio, seconds)
    return path.read_bytes()


def audio(
    path: Path,
    *,
    codec: str,
    fmt: str,
    seconds: float = 1.5,
    rate: int = 48000,
    metadata: dict[str, str] | None = None,
) -> bytes:
    """Write a tone as an audio-only file and return its bytes."""
    with av.open(str(path), "w", format=fmt) as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream(codec, rate=rate)
        assert isinstance(stream, av.AudioStream)
        if rate == 8000:
            stream.layout = "mono"
        _tone(out, stream, seconds)
    return path.read_bytes()


def _tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    rate = stream.codec_context.sample_rate
    layout = stream.codec_context.layout.name
    channels = 1 if layout == "mono" else 2
    fmt = stream.codec_context.format.name
    size = stream.codec_context.frame_size or 1024
    total = int(seconds * rate)
    t = np.arange(total) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, total, size):
        chunk = wave[start : start + size]
        if len(chunk) < size and stream.codec_context.frame_size:
            chunk = np.pad(chunk, (0, size - len(chunk)))
        frame = _audio_frame(chunk, channels, fmt, layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _audio_frame(chunk: np.ndarray, channels: int, fmt: str, layout: str) -> av.AudioFrame:
    planar = fmt.endswith("p")
    base = fmt.rstrip("p")
    if base == "s16":
        samples = (chunk * 32767).astype(np.int16)
    elif base == "s32":
        samples = (chunk * 2147483647).astype(np.int32)
    else:
        samples = chunk
    if planar:
        array = np.tile(samples, (channels, 1))
    else:
        array = np.repeat(samples, channels).reshape(1, -1)
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(array), format=fmt, layout=layout)


FACE_BOX = (105, 104, 196, 196)
"""Where OpenCV's frontal-face cascade finds the face that ``face_scene`` draws."""


def face_scene() -> Image.Image:
    """A 640x480 scene with a cartoon face (skin oval, eyes, brows, nose, mouth) at the left."""
    image = scene(640, 480, seed=7)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 400, 400), fill=(200, 200, 200))
    draw.ellipse((100, 80, 300, 320), fill=(224, 172, 105))
    draw.ellipse((145, 160, 185, 190), fill=(40, 40, 40))
    draw.ellipse((215, 160, 255, 190), fill=(40, 40, 40))
    draw.rectangle((140, 145, 190, 152), fill=(60, 40, 20))
    draw.rectangle((210, 145, 260, 152), fill=(60, 40, 20))
    draw.polygon([(200, 190), (185, 245), (215, 245)], fill=(190, 140, 90))
    draw.ellipse((160, 260, 240, 285), fill=(150, 50, 50))
    return image


def face_video(path: Path, metadata: dict[str, str] | None = None) -> bytes:
    """One second of the face scene at 25 fps, H.264/AAC in MP4, near-lossless."""
    picture = np.asarray(face_scene())
    with av.open(str(path), "w", format="mp4") as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream("libx264", rate=25, options={"crf": "12"})
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        for index in range(25):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        _tone(out, audio, 1.0)
    return path.read_bytes()
