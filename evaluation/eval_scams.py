"""Quality of the `scams` detector: its own EN/FR fixtures and the public scam-text sets."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Iterable

from sentinelle.detectors import Context, get
from sentinelle.detectors.scams import ScamRules
from sentinelle.model import Post, Severity, parse_item
from sentinelle.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/detectors/scams.json"
HOLDOUT = ROOT / "tests/fixtures/detectors/scams_holdout.json"
UNSEEN = ROOT / "tests/fixtures/detectors/scams_unseen.json"
JANITR_POSITIVE = {"scam", "phishing", "malware", "impersonation", "fake_support", "recovery_scam", "giveaway"}
# The public sets name no brand of ours: they are scored with the brand requirement lifted,
# against a watchlist without brands (so no brand-only signal can fire either).
GENERIC = parse_watchlist({"organization": "evaluation"})


def shared() -> Path:
    return Path(os.environ.get("SENTINELLE_SHARED", ROOT.parent / "shared")) / "data" / "scam_text"


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def uci() -> list[tuple[str, bool]]:
    """UCI SMS spam, deduplicated on lower-cased word characters as its README asks."""
    seen: dict[str, tuple[str, bool]] = {}
    with open(shared() / "uci_sms_spam/SMSSpamCollection", encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            k = _key(text)
            if k and k not in seen:
                seen[k] = (text, label == "spam")
    return list(seen.values())


def mendeley() -> tuple[list[tuple[str, bool]], list[str]]:
    """(smishing vs ham, the marketing-spam texts kept apart)."""
    rows, spam = [], []
    with open(shared() / "mendeley_smishing/Dataset_5971.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            label = row["LABEL"].strip().lower()
            if label == "spam":
                spam.append(row["TEXT"])
            else:
                rows.append((row["TEXT"], label == "smishing"))
    return rows, spam


def janitr() -> tuple[list[tuple[str, bool]], list[str]]:
    """(security-labelled vs clean/topic-only posts, the spam/promo-only posts kept apart)."""
    rows, promo = [], []
    with open(shared() / "janitr_x_posts/sample.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            labels = set(d.get("labels") or [])
            text = d.get("text") or ""
            if labels & JANITR_POSITIVE:
                rows.append((text, True))
            elif all(lab == "clean" or lab.startswith("topic_") for lab in labels):
                rows.append((text, False))
            else:
                promo.append(text)
    return rows, promo


def _flagged(rules: ScamRules, text: str, i: int) -> bool:
    a = rules.assess(Post(platform="eval", id=str(i), text=text), require_brand=False)
    return a is not None and a.severity >= Severity.medium


def _prf(pairs: Iterable[tuple[bool, bool]]) -> tuple[int, float, float, float]:
    tp = fp = fn = n = 0
    for truth, pred in pairs:
        n += 1
        tp += truth and pred
        fp += pred and not truth
        fn += truth and not pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return n, p, r, f1


def fixtures(path: Path = FIXTURES) -> tuple[int, float, float, float]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    ctx = Context.ephemeral(watchlist=parse_watchlist(doc["watchlist"]))
    detector = get("scams")

    def reported(post: dict) -> bool:
        item = parse_item(post)
        found = detector.detect(item, ctx) if detector.applies(item, ctx) else []
        return any(f.severity >= Severity.medium for f in found)

    pairs = [(True, reported(p)) for p in doc["positive"]] + [(False, reported(p)) for p in doc["negative"]]
    return _prf(pairs)


def run() -> str:
    rules = ScamRules(GENERIC)
    table = [("own fixtures, EN/FR, brand required (done-when: P ≥ 0.9, R ≥ 0.85)", fixtures()),
             ("second EN/FR set, written after tuning (see below)", fixtures(HOLDOUT)),
             ("third EN/FR set, unseen: never tuned on (see below)", fixtures(UNSEEN))]
    extra = []
    if (shared() / "uci_sms_spam").is_dir():
        rows = uci()
        table.append(("UCI SMS spam, deduplicated (spam vs ham)",
                      _prf((y, _flagged(rules, t, i)) for i, (t, y) in enumerate(rows))))
        rows, spam = mendeley()
        table.append(("Mendeley smishing (smishing vs ham)",
                      _prf((y, _flagged(rules, t, i)) for i, (t, y) in enumerate(rows))))
        extra.append(f"Mendeley marketing spam (n={len(spam)}) flagged: "
                     f"{sum(_flagged(rules, t, i) for i, t in enumerate(spam)) / max(1, len(spam)):.1%}")
        rows, promo = janitr()
        table.append(("Janitr X posts (security labels vs clean/topic-only)",
                      _prf((y, _flagged(rules, t, i)) for i, (t, y) in enumerate(rows))))
        extra.append(f"Janitr spam/promo-only posts (n={len(promo)}) flagged: "
                     f"{sum(_flagged(rules, t, i) for i, t in enumerate(promo)) / max(1, len(promo)):.1%}")
    else:
        extra.append(f"shared data not found at {shared()}: public sets skipped")

    lines = ["## scams", "",
             "| dataset | n | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {name} | {n} | {p:.3f} | {r:.3f} | {f1:.3f} |" for name, (n, p, r, f1) in table]
    lines += ["", *[f"- {e}" for e in extra], "",
              "A post counts as reported at severity medium or above. The fixtures run the detector as it "
              "runs in production (a brand mention required, official accounts skipped); they were "
              "written by the detector's author, so they show coverage of the scam types in issue 4 more "
              "than generalisation. The second set (25 scams, 25 hard negatives) was written after the "
              "detector had been tuned on the first: its first run gave precision 0.909 and recall 0.80; "
              "its misses then led to generic vocabulary fixes (plural phrases, payment-info and "
              "send-the-code wording, rate-of-return promises, support self-presentation told apart "
              "from mentions), so it is no longer unseen. The third set (20 scams, 20 hard negatives) was written last and "
              "scored once (precision 1.000, recall 0.900: a \"5 € private sale\" by phone and a fake "
              "\"fraud department\" asking for a code were missed); the detector was not changed for it. "
              "The public sets name none of our brands, so they are scored by the "
              "same signals with the brand requirement lifted (`ScamRules.assess(post, "
              "require_brand=False)` on a watchlist without brands); brand-only signals (lookalike "
              "links, brand-named accounts, official links) cannot fire there. They are English SMS and "
              "crypto posts, so they measure the generic scam vocabulary, not brand abuse.", ""]
    section = "\n".join(lines)
    return section


if __name__ == "__main__":
    print(run())
