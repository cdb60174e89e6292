"""RapidOCR (PaddleOCR's models on onnxruntime): the local default engine, offline."""

from __future__ import annotations

import threading
from typing import Any

from sentinelle.readers import ReadError, ReaderUnavailable

_ENGINE: Any = None
_LOCK = threading.Lock()


def _engine() -> Any:
    """One engine per process: loading the models takes most of a second."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found,import-untyped,unused-ignore]
            except ImportError as exc:  # the optional "ocr" extra is missing
                raise ReaderUnavailable("rapidocr: pip install 'sentinelle[ocr]'") from exc
            _ENGINE = RapidOCR()
        return _ENGINE


def lines(boxes: list[Any]) -> str:
    """Recognised boxes back into lines: boxes whose vertical centres are within half a box height
    of each other are one line, read left to right."""
    placed = []
    for box, text, *_ in boxes:
        ys = [p[1] for p in box]
        xs = [p[0] for p in box]
        placed.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(xs), str(text)))
    placed.sort()
    rows: list[list[tuple[float, float, float, str]]] = []
    for entry in placed:
        if rows and abs(entry[0] - rows[-1][0][0]) <= max(entry[1], rows[-1][0][1]) / 2:
            rows[-1].append(entry)
        else:
            rows.append([entry])
    return "\n".join(" ".join(e[3] for e in sorted(row, key=lambda e: e[2])) for row in rows)


class RapidReader:
    name = "rapidocr"

    def __init__(self) -> None:
        self._engine = _engine()

    def read(self, image: bytes) -> str:
        try:
            result, _ = self._engine(image)
        except Exception as exc:  # onnxruntime and OpenCV raise their own types
            raise ReadError(f"rapidocr: {type(exc).__name__}") from None
        return lines(result or [])
