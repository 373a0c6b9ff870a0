"""Every supported container is read in-process (the decoding code the sandbox runs)."""

from pathlib import Path
from typing import Any

import pytest

from exhibit_media_tools import work
from tests.media_tools import media

OPTIONS = {"thumbnail_size": 160, "proxy_height": 120}


def _make(tmp_path: Path, name: str) -> bytes:
    target = tmp_path / name
    makers: dict[str, Any] = {
        "a.png": lambda: media.photo(media.scene(), "PNG"),
        "a.webp": lambda: media.photo(media.scene(), "WEBP", media.exif()),
        "a.webm": lambda: media.video(
            target, codec="libvpx-vp9", fmt="webm", audio_codec="libopus"
        ),
        "a.mkv": lambda: media.video(target, fmt="matroska"),
        "a.avi": lambda: media.video(target, codec="mpeg4", fmt="avi", audio_codec="libmp3lame"),
        "a.3gp": lambda: media.video(target, fmt="3gp", audio_codec="libopencore_amrnb"),
        "a.m4a": lambda: media.audio(target, codec="aac", fmt="ipod"),
        "a.mp3": lambda: media.audio(target, codec="libmp3lame", fmt="mp3"),
        "a.aac": lambda: media.audio(target, codec="aac", fmt="adts"),
        "a.wav": lambda: media.audio(target, codec="pcm_s16le", fmt="wav"),
        "a.ogg": lambda: media.audio(target, codec="libopus", fmt="ogg"),
        "a.amr": lambda: media.audio(target, codec="libopencore_amrnb", fmt="amr", rate=8000),
    }
    data: bytes = makers[name]()
    return data


@pytest.mark.parametrize(
    ("name", "facts", "derivatives"),
    [
        ("a.png", {"format": "PNG", "has_exif": False}, ["thumbnail"]),
        ("a.webp", {"format": "WEBP", "make": "Apple"}, ["thumbnail"]),
        ("a.webm", {"video_codec": "vp9", "audio_codec": "opus"}, ["poster"]),
        ("a.mkv", {"container": "matroska", "video_codec": "h264"}, ["poster", "proxy"]),
        ("a.avi", {"video_codec": "mpeg4", "audio_codec": "mp3"}, ["poster", "proxy"]),
        ("a.3gp", {"video_codec": "h264", "audio_codec": "amrnb"}, ["poster", "proxy"]),
        ("a.m4a", {"kind": "audio", "audio_codec": "aac"}, []),
        ("a.mp3", {"kind": "audio", "audio_codec": "mp3"}, []),
        ("a.aac", {"kind": "audio", "audio_codec": "aac"}, []),
        ("a.wav", {"kind": "audio", "audio_codec": "pcm_s16le"}, []),
        ("a.ogg", {"kind": "audio", "audio_codec": "opus"}, []),
        ("a.amr", {"kind": "audio", "audio_codec": "amrnb"}, ["proxy"]),
    ],
)
def test_each_container_is_described(
    tmp_path: Path, name: str, facts: dict[str, object], derivatives: list[str]
) -> None:
    source = tmp_path / "original"
    source.write_bytes(_make(tmp_path, name))
    out = tmp_path / "out"
    out.mkdir()
    answer = work.analyse(source, out, OPTIONS)
    assert {k: answer["metadata"].get(k) for k in facts} == facts
    made = answer["derivatives"]
    plan = work.plan_proxy(source, OPTIONS)  # the proxy is a step (and a run) of its own
    assert plan["refused"] is None
    if plan["needed"]:
        made = made + work.proxy(source, out, OPTIONS)["derivatives"]
    assert [d["kind"] for d in made] == derivatives
    for each in made:
        assert Path(each["path"]).stat().st_size > 0
    if answer["metadata"]["kind"] == "audio":
        assert answer["metadata"]["duration_seconds"] > 1.0
