"""The benchmarks' baselines still plug into the code they compare with (make bench is not in CI)."""

from benchmarks import bench_scams
from sentinelle.detectors import get
from sentinelle.detectors.scams import ScamRules


def test_scams_baseline_runs_the_detector_on_its_regexes():
    ctx = bench_scams.baseline_context()
    rules = ScamRules.cached(ctx)
    assert isinstance(rules.phrases, bench_scams._RegexPhrases) and rules.prepare is bench_scams._fold_only
    detector = get("scams")
    assert sum(len(detector.detect(p, ctx)) for p in bench_scams.posts(60)) > 0
