"""`make bench`: every benchmarks/bench_*.py section, printed and kept in docs/benchmarks.md."""

import sys

from evaluation.collect import collect

HEADER = """# Benchmarks

Speed and memory, measured by `make bench` (`python -m benchmarks`) on {date}, on the project's
2-core machine; the tables below are its output, unedited. `python -m benchmarks leaks` runs one
section without rewriting this file.
"""

if __name__ == "__main__":
    raise SystemExit(collect("benchmarks", "bench_", "benchmarks.md", HEADER, sys.argv[1:]))
