"""Tesseract, when the machine has the `tesseract` program (`apt-get install tesseract-ocr
tesseract-ocr-fra`): found at run time, French and English when both are installed."""

from __future__ import annotations

import shutil
import subprocess

from sentinelle.readers import ReadError, ReaderUnavailable

TIMEOUT = 30.0  # seconds for one picture


class TesseractReader:
    name = "tesseract"

    def __init__(self, languages: tuple[str, ...] = ("fra", "eng")):
        self.program = shutil.which("tesseract")
        if self.program is None:
            raise ReaderUnavailable("tesseract: not installed (apt-get install tesseract-ocr tesseract-ocr-fra)")
        listed = subprocess.run([self.program, "--list-langs"], capture_output=True, text=True, timeout=TIMEOUT)
        have = set(listed.stdout.split())
        self.languages = "+".join(lang for lang in languages if lang in have) or "eng"

    def read(self, image: bytes) -> str:
        try:
            done = subprocess.run([self.program or "tesseract", "stdin", "stdout", "-l", self.languages],
                                  input=image, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise ReadError("tesseract: timed out") from None
        if done.returncode != 0:
            raise ReadError(f"tesseract: exit status {done.returncode}")
        return "\n".join(line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip())
