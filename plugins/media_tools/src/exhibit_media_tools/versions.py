"""The versions of every library that touched the bytes, recorded with each derivative."""

import sys
from importlib.metadata import version


def tool_versions() -> dict[str, str]:
    """Library and native-codec versions, enough for a third party to reproduce a derivative.

    Pillow's family is always listed; PyAV with its FFmpeg libraries and OpenCV only when
    they were loaded, i.e. when they took part in the work.
    """
    import pillow_heif

    dists = [
        ("exhibit-media-tools", "exhibit-media-tools"),
        ("Pillow", "pillow"),
        ("pillow-heif", "pillow-heif"),
        ("numpy", "numpy"),
    ]
    if "av" in sys.modules:
        dists.append(("PyAV", "av"))
    if "cv2" in sys.modules:
        dists.append(("opencv", "opencv-python-headless"))
    versions = {name: version(dist) for name, dist in dists}
    versions["libheif"] = str(pillow_heif.libheif_version())
    if "av" in sys.modules:
        for library, parts in sys.modules["av"].library_versions.items():
            versions[library] = ".".join(str(p) for p in parts)
    if "cv2" in sys.modules:
        versions["cv2"] = str(sys.modules["cv2"].__version__)
    return versions
