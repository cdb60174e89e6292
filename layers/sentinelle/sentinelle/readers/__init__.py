"""Reading the text in pictures (OCR) behind one small interface, with three engines.

- `rapidocr`: the local default (`pip install 'sentinelle[ocr]'`, which `make run` does): RapidOCR on
  onnxruntime, its models in the wheel, offline.
- `tesseract`: the `tesseract` program when the machine has it (better on French accents), found at
  run time.
- `textract`: Amazon Textract `DetectDocumentText`, what the scan functions use on AWS.

`SENTINELLE_OCR` picks one (`rapidocr`, `tesseract`, `textract`, `none`, or `module:Class` for an
engine of your own); unset or `auto` takes the first local engine installed. A picture's text is held
in memory only while detectors read it.
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

ENGINES = ("rapidocr", "tesseract", "textract")


class ReaderUnavailable(RuntimeError):
    """The engine asked for is not installed or cannot start here; the message says what to install."""


class ReadError(RuntimeError):
    """One picture the engine could not read (a corrupt file, a refused call)."""


@runtime_checkable
class Reader(Protocol):
    """An OCR engine: the text of one picture (PNG or JPEG bytes), lines separated by newlines."""

    name: str

    def read(self, image: bytes) -> str: ...


def make_reader(name: str) -> Reader:
    """The engine called `name`; ReaderUnavailable when it is not installed."""
    if name == "rapidocr":
        from sentinelle.readers.rapid import RapidReader

        return RapidReader()
    if name == "tesseract":
        from sentinelle.readers.tesseract import TesseractReader

        return TesseractReader()
    if name == "textract":
        from sentinelle.readers.textract import TextractReader

        return TextractReader()
    if ":" in name:  # "package.module:Class": an engine of your own, built with no arguments
        import importlib

        module, _, attr = name.partition(":")
        try:
            engine = getattr(importlib.import_module(module), attr)()
        except (ImportError, AttributeError) as exc:
            raise ReaderUnavailable(f"OCR engine {name!r}: {exc}") from exc
        return engine
    raise ReaderUnavailable(f"unknown OCR engine {name!r}; known: {', '.join(ENGINES)}, none, or module:Class")


def default_reader(name: str | None = None) -> Reader | None:
    """The engine named by `name` or SENTINELLE_OCR; with `auto` (the default) the first local
    engine installed, or None when there is none (pictures are then reported as not read)."""
    choice = (name or os.environ.get("SENTINELLE_OCR") or "auto").strip()
    choice = choice if ":" in choice else choice.lower()  # a module:Class path keeps its case
    if choice == "none":
        return None
    if choice != "auto":
        return make_reader(choice)
    for engine in ("rapidocr", "tesseract"):
        try:
            return make_reader(engine)
        except ReaderUnavailable:
            continue
    return None


__all__ = ["ENGINES", "ReadError", "Reader", "ReaderUnavailable", "default_reader", "make_reader"]
