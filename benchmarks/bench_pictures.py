"""Pictures read by OCR: pictures per second and peak memory of each engine installed here (each in
its own process, one core), install size, and the cost of reading pictures on AWS."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

N = 8  # pictures per engine (the first kinds of evaluation/pictures.py, one of each)

# Prices (us-east-1, first million a month, December 2026 list prices) and Lambda's.
TEXTRACT_PER_1000 = 1.50  # DetectDocumentText, per page (an image is one page)
REKOGNITION_PER_1000 = 1.00  # DetectText, per image
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_MEMORY_GB = 0.5  # the scan functions' MemorySize
TEXTRACT_WAIT_S = 1.5  # assumed latency of one DetectDocumentText call, billed as Lambda time


def _measure(engine: str) -> dict[str, float]:
    """In a child process: model load, then N pictures read one after another; peak RSS."""
    code = f"""
import json, resource, time
from evaluation.pictures import picture_set
from sentinelle.readers import make_reader
from sentinelle.readers.pictures import prepare
started = time.perf_counter()
reader = make_reader({engine!r})
load = time.perf_counter() - started
pictures = [prepare(p.data)[0] for p in picture_set(1)[:{N}]]
started = time.perf_counter()
for p in pictures:
    reader.read(p)
took = time.perf_counter() - started
print(json.dumps({{"load": load, "per_s": {N} / took, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    env = {"OMP_NUM_THREADS": "1"}  # one core, as a Lambda with little memory or a busy machine has
    import os

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800,
                          env={**os.environ, **env}, cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-500:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _installed_mb(dists: list[str]) -> float:
    total = 0
    for name in dists:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            continue
        total += sum(f.size or 0 for f in files)
    return total / 1e6


def run() -> str:
    from sentinelle.readers import ReaderUnavailable, make_reader

    lines = ["## Pictures (OCR)", "",
             f"{N} generated pictures (`evaluation/pictures.py`, one of each of the first kinds), read one after "
             "another by each engine installed here, in its own process with `OMP_NUM_THREADS=1` (pictures per "
             "second per core); peak memory is the process's (Python, the detectors' imports and the models).", "",
             "| engine | model load | pictures/s per core | peak memory |", "|---|---|---|---|"]
    for engine in ("rapidocr", "tesseract"):
        try:
            make_reader(engine)
        except ReaderUnavailable as exc:
            lines.append(f"| {engine} | not installed here ({exc}) | | |")
            continue
        m = _measure(engine)
        lines.append(f"| {engine} | {m['load']:.2f} s | {m['per_s']:.2f} | {m['rss_mb']:.0f} MB |")
    size = _installed_mb(["rapidocr-onnxruntime", "onnxruntime", "opencv-python", "opencv-python-headless",
                          "shapely", "pyclipper", "numpy"])
    lines += ["", f"Installed size of the `ocr` extra's engine (rapidocr-onnxruntime, onnxruntime, OpenCV, "
                  f"Shapely, pyclipper, numpy) in this environment: {size:.0f} MB." if size else "",
              "", "### Cost of reading 1,000 pictures on AWS", "",
              "| engine | service price | Lambda time | total |", "|---|---|---|---|"]
    lam = 1000 * LAMBDA_MEMORY_GB * TEXTRACT_WAIT_S * LAMBDA_GB_SECOND
    lines.append(f"| Textract DetectDocumentText (chosen) | ${TEXTRACT_PER_1000:.2f} | ${lam:.4f} "
                 f"({TEXTRACT_WAIT_S:g} s a call at {LAMBDA_MEMORY_GB:g} GB, assumed) | ${TEXTRACT_PER_1000 + lam:.2f} |")
    lines.append(f"| Rekognition DetectText | ${REKOGNITION_PER_1000:.2f} | ${lam:.4f} | "
                 f"${REKOGNITION_PER_1000 + lam:.2f} |")
    return "\n".join(line for line in lines if line is not None) + "\n"
