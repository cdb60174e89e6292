"""`make bench`: every benchmarks/bench_*.py section, printed and kept in docs/benchmarks.md."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    only = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    sections = []
    for name in names:
        if only and name.removeprefix("bench_") not in only:
            continue
        started = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        section = importlib.import_module(f"benchmarks.{name}").run()
        sections.append(section.rstrip() + f"\n\n_{name} took {time.perf_counter() - started:.1f} s._\n")
    if only:
        return 0  # a partial run prints but does not overwrite the kept document
    header = (
        "# Benchmarks\n\n"
        "Speed and memory, measured by `make bench` (`python -m benchmarks`) on a 2-core machine on "
        f"{datetime.now(timezone.utc):%Y-%m-%d}; the tables below are its output, unedited.\n"
    )
    (ROOT / "docs" / "benchmarks.md").write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
    print(f"\nwrote {ROOT / 'docs' / 'evaluation.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
