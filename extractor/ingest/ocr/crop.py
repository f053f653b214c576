"""The page image of a cell read by OCR, cropped to its box: for a review page to show
beside the recognised text (a reviewer compares the digits with the scan)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from extractor.schema import Cell, OcrReading


def crop_png(source: Path | bytes, reading: OcrReading, margin: float = 0.01,
             dpi: int = 144) -> bytes:
    """PNG bytes of the cell's box (plus `margin`, a fraction of the page) on its page of
    `source` (the input file: a PDF or an image, as a path or its bytes)."""
    from PIL import Image

    raw = source.read_bytes() if isinstance(source, Path) else source
    x0, y0, x1, y1 = reading.bbox
    if raw[:1024].lstrip().startswith(b"%PDF"):
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(raw)
        try:
            page = pdf[reading.page - 1]
            w, h = page.get_size()
            scale = dpi / 72
            # Only the box is rendered, not the page: pdfium crops in points, from each edge.
            left, top = max(0.0, x0 - margin) * w, max(0.0, y0 - margin) * h
            right, bottom = (1 - min(1.0, x1 + margin)) * w, (1 - min(1.0, y1 + margin)) * h
            image = page.render(scale=scale, crop=(left, bottom, right, top)).to_pil()
            page.close()
        finally:
            pdf.close()
    else:
        img = Image.open(io.BytesIO(raw))
        img.seek(reading.page - 1)
        frame = img.convert("RGB")
        w, h = frame.size
        image = frame.crop((int(max(0.0, x0 - margin) * w), int(max(0.0, y0 - margin) * h),
                            int(min(1.0, x1 + margin) * w), int(min(1.0, y1 + margin) * h)))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def crop_data_uri(source: Path | bytes, cell: Cell) -> str | None:
    """A `data:image/png;base64,…` URI of the cell's crop, or None for a cell not read by OCR."""
    if cell.ocr is None:
        return None
    return "data:image/png;base64," + base64.b64encode(crop_png(source, cell.ocr)).decode("ascii")
