"""Face detection with OpenCV's Haar cascade, a model shipped inside the opencv wheel.

Nothing is downloaded at run time: the cascade file is part of the installed package.
"""

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

CASCADE_FILE = "haarcascade_frontalface_default.xml"
DETECTOR = f"opencv {cv2.__version__} {CASCADE_FILE}"
"""Names the model and its version in provenance."""

Box = tuple[int, int, int, int]
"""A rectangle: left, top, width, height in pixels of the upright image."""


def detect_faces(rgb: NDArray[np.uint8]) -> list[Box]:
    """Rectangles around the frontal faces in an RGB image."""
    models = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(str(models / CASCADE_FILE))
    if cascade.empty():
        raise RuntimeError(f"the OpenCV face model {CASCADE_FILE} is missing")
    grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    shorter = min(grey.shape[:2])
    found = cascade.detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(max(24, shorter // 40),) * 2
    )
    return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
