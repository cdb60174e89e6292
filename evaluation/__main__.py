"""`make eval`: every evaluation/eval_*.py section, printed and kept in docs/evaluation.md."""

import sys

from evaluation.collect import collect

HEADER = """# Evaluation

Detection quality of each detector over `../shared/data/` (public labelled data) and over the
detectors' own fixtures. Produced by `make eval` (`python -m evaluation`) on {date}; the tables
below are its output, unedited. `python -m evaluation scams` runs one section without rewriting
this file.
"""

if __name__ == "__main__":
    raise SystemExit(collect("evaluation", "eval_", "evaluation.md", HEADER, sys.argv[1:]))
