"""Runs every `<prefix>*.py` module's `run()` in a folder and keeps their sections in one document."""

from __future__ import annotations

import importlib
import pkgutil
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def collect(package: str, prefix: str, document: str, header: str, only: list[str]) -> int:
    folder = ROOT / package
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith(prefix))
    sections = []
    for name in names:
        if only and name.removeprefix(prefix) not in only:
            continue
        started = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        section = importlib.import_module(f"{package}.{name}").run()
        print(section, flush=True)
        sections.append(section.rstrip() + f"\n\n_{name} took {time.perf_counter() - started:.1f} s._\n")
    if only:
        return 0  # a partial run prints but does not overwrite the kept document
    doc = ROOT / "docs" / document
    doc.parent.mkdir(exist_ok=True)
    stamp = f"{datetime.now(timezone.utc):%Y-%m-%d}"
    doc.write_text(header.format(date=stamp) + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"\nwrote {doc}")
    return 0
