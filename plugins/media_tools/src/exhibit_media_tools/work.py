"""The work done inside the sandbox: analyse a file, or make redacted/disclosure copies.

Each function returns a JSON-ready answer naming the files it wrote under ``workdir``.
"""

from pathlib import Path
from typing import Any

from exhibit_media_tools import images
from exhibit_media_tools.containers import image_or_av
from exhibit_media_tools.versions import tool_versions


def analyse(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Metadata, previews and perceptual hashes of one photo, video or audio file.

    A video's proxy is not made here but by ``proxy``, a run (and a record) of its own.
    """
    if _is_image(source):
        return _analyse_image(source, workdir, options)
    return _analyse_av(source, workdir, options)


def plan_proxy(source: Path, options: dict[str, Any]) -> dict[str, Any]:
    """Whether a video or audio file needs a proxy, how long it plays, why none can be made."""
    if _is_image(source):
        return {"needed": False, "duration_seconds": None, "refused": None}
    from exhibit_media_tools import video

    with video.open_media(source) as container:
        metadata = video.av_metadata(container)
    return {
        "needed": video.needs_proxy(metadata),
        "duration_seconds": metadata["duration_seconds"],
        "refused": video.proxy_refusal(metadata, int(options["proxy_height"])),
    }


def proxy(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The browser-playable proxy of a video or audio file (``plan_proxy`` says if needed)."""
    from exhibit_media_tools import video

    with video.open_media(source) as container:
        metadata = video.av_metadata(container)
        if refused := video.proxy_refusal(metadata, int(options["proxy_height"])):
            raise ValueError(refused)
        rotation = int(metadata.get("rotation") or 0)
        target = workdir / "proxy.mp4"
        params = video.make_proxy(container, target, rotation, int(options["proxy_height"]))
    made = _made("proxy", "video/mp4", target, "PyAV", params, "browser-playable copy")
    return {"metadata": {}, "derivatives": [made], "hashes": []}


def _is_image(source: Path) -> bool:
    with source.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise ValueError("the file is empty")
    return image_or_av(head) == "image"


def _analyse_image(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    with images.open_image(source) as image:
        metadata = images.image_metadata(image)
        size = int(options["thumbnail_size"])
        # JPEG can decode at 1/2..1/8 scale: a preview needs no more, and it is much faster.
        # Every byte is still read, so a truncated file fails here.
        full_width = image.width
        if image.format == "JPEG":
            image.draft("RGB", (size, size))
        picture = images.upright(image)
        target = workdir / "thumbnail.jpg"
        params = images.thumbnail(picture, target, size)
        params["decoded_at_scale"] = f"1/{full_width // image.width}"
        phash = images.perceptual_hash(picture)
    return {
        "metadata": metadata,
        "derivatives": [
            _made("thumbnail", "image/jpeg", target, "Pillow", params, "preview for review")
        ],
        "hashes": [[None, phash]],
    }


def _analyse_av(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    from exhibit_media_tools import video  # FFmpeg is loaded only for video and audio

    made: list[dict[str, Any]] = []
    hashes: list[list[Any]] = []
    with video.open_media(source) as container:
        metadata = video.av_metadata(container)
        rotation = int(metadata.get("rotation") or 0)
        if metadata["kind"] == "video":
            poster = workdir / "poster.jpg"
            params, found = video.poster_and_hashes(
                container, poster, rotation, int(options["thumbnail_size"])
            )
            made.append(_made("poster", "image/jpeg", poster, "PyAV", params, "preview for review"))
            hashes = [[at, value] for at, value in found]
    return {"metadata": metadata, "derivatives": made, "hashes": hashes}


def redact(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    """A redacted copy (faces and officer boxes blurred) and/or a disclosure copy of a photo."""
    from exhibit_media_tools import redaction  # loads OpenCV

    with source.open("rb") as handle:
        if image_or_av(handle.read(64)) == "av":
            return _redact_av(source, workdir, options)
    made = []
    with images.open_image(source) as image:
        image.load()
        if options.get("redact"):
            target = workdir / "redacted.jpg"
            boxes = [tuple(int(v) for v in box) for box in options.get("boxes", [])]
            params = redaction.redact_image(image, target, boxes, bool(options.get("detect_faces")))  # type: ignore[arg-type]
            tool = "Pillow + OpenCV" if options.get("detect_faces") else "Pillow"
            made.append(_made("redacted", "image/jpeg", target, tool, params, options["reason"]))
        if options.get("disclosure"):
            suffix = {"JPEG": ".jpg", "PNG": ".png"}.get(str(image.format), ".png")
            target = workdir / f"disclosure{suffix}"
            params = redaction.disclosure_copy(image, source, target)
            media_type = "image/jpeg" if suffix == ".jpg" else "image/png"
            made.append(
                _made("disclosure", media_type, target, "Pillow", params, options["reason"])
            )
    return {"metadata": {}, "derivatives": made, "hashes": []}


def _made(
    kind: str, media_type: str, path: Path, tool: str, params: dict[str, Any], reason: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        "media_type": media_type,
        "path": str(path),
        "tool": tool,
        "tool_versions": tool_versions(),
        "parameters": params,
        "reason": reason,
    }


def _redact_av(source: Path, workdir: Path, options: dict[str, Any]) -> dict[str, Any]:
    from exhibit_media_tools import video

    made = []
    with video.open_media(source) as container:
        metadata = video.av_metadata(container)
        if metadata["kind"] != "video":
            raise ValueError("only photos and video can be redacted")
        if options.get("redact"):
            target = workdir / "redacted.mp4"
            boxes = [(int(a), int(b), int(c), int(d)) for a, b, c, d in options.get("boxes", [])]
            detect = bool(options.get("detect_faces"))
            rotation = int(metadata.get("rotation") or 0)
            params = video.redact_video(container, target, rotation, boxes, detect)
            tool = "PyAV + OpenCV"
            made.append(_made("redacted", "video/mp4", target, tool, params, options["reason"]))
            container.seek(0)
        if options.get("disclosure"):
            suffix = ".mp4" if str(metadata.get("container", "")).startswith("mov") else ".mkv"
            target = workdir / f"disclosure{suffix}"
            params = video.disclosure_video(container, target)
            media_type = "video/mp4" if suffix == ".mp4" else "video/x-matroska"
            made.append(_made("disclosure", media_type, target, "PyAV", params, options["reason"]))
    return {"metadata": {}, "derivatives": made, "hashes": []}
