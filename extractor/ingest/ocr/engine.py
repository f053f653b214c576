"""The OCR engine: RapidOCR (PP-OCRv4 Chinese detection and recognition models, shipped
inside the `rapidocr-onnxruntime` wheel, run by onnxruntime on the CPU, offline).

It is an optional extra: without it, a scanned input is an error that names the extra.
The engine is loaded once per process and kept (loading the models takes about 0.6 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

EXTRA_HINT = ("OCR is needed (the pages are images: a scan) and the OCR engine is not "
              "installed: pip install 'report-extractor[ocr]'")


class OcrUnavailable(Exception):
    """The OCR extra is not installed."""


@dataclass(frozen=True)
class Reading:
    """One recognised text line: its text, the mean and the per-character confidences."""

    text: str
    score: float
    chars: tuple[float, ...]

    def confidence(self) -> float:
        """The lowest confidence over the digits (over every character when there is none)."""
        digits = [c for ch, c in zip(self.text, self.chars, strict=False) if ch.isdigit()]
        pool = digits or list(self.chars)
        return min(pool) if pool else 0.0


@dataclass(frozen=True)
class Box:
    """A text line found on a page: its quadrilateral's bounding box in pixels and reading."""

    x0: float
    y0: float
    x1: float
    y1: float
    reading: Reading


@lru_cache(maxsize=1)
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as e:  # the extra is not installed
        raise OcrUnavailable(EXTRA_HINT) from e
    eng = RapidOCR(print_verbose=False)
    # Recognition pads each batch to at least this width (320 by default): table cells are
    # mostly short numbers, so a narrower minimum makes them several times cheaper.
    eng.text_rec.rec_image_shape = [3, 48, 96]
    eng.text_rec.rec_batch_num = 16
    return eng


def available() -> bool:
    """Whether the OCR extra is installed (without loading the models)."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def recognize(crops: list[np.ndarray]) -> list[Reading]:
    """Recognise one text line in each crop (RGB arrays), in order."""
    if not crops:
        return []
    # The models were trained on OpenCV's BGR images.
    results, _ = _engine().text_rec([c[..., ::-1].copy() for c in crops], True)
    out: list[Reading] = []
    for res in results:
        text, score = res[0], float(res[1])
        chars: tuple[float, ...] = ()
        if len(res) > 2 and res[2]:
            chars = tuple(float(c) for c in res[2][-1])
        if len(chars) != len(text):
            chars = tuple(score for _ in text)
        out.append(Reading(text, score, chars))
    return out


def detect(image: np.ndarray, scale: float = 1.0) -> list[Box]:
    """Every text line of an image (RGB array): detection on the image resized by `scale`,
    then recognition of each line from the full-size image."""
    import cv2

    eng = _engine()
    small = image
    if scale != 1.0:
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    boxes, _ = eng.text_det(small[..., ::-1].copy())
    if boxes is None or len(boxes) == 0:
        return []
    crops: list[np.ndarray] = []
    rects: list[tuple[float, float, float, float]] = []
    for quad in boxes:
        xs = [float(p[0]) / scale for p in quad]
        ys = [float(p[1]) / scale for p in quad]
        x0, y0 = max(0, int(min(xs)) - 2), max(0, int(min(ys)) - 2)
        x1, y1 = int(max(xs)) + 3, int(max(ys)) + 3
        crop = image[y0:y1, x0:x1]
        if crop.size == 0 or crop.shape[0] < 4 or crop.shape[1] < 4:
            continue
        crops.append(crop)
        rects.append((x0, y0, x1, y1))
    readings = recognize(crops)
    return [Box(*r, reading) for r, reading in zip(rects, readings, strict=True)
            if reading.text.strip()]
