"""Offline experiment (issue 14): would a small learned model help the `scams` rules?

A logistic regression over hashed character 3-5-grams of the folded text (plain numpy SGD, no
scikit-learn), trained on one set of sources and measured on another, alone and as a booster that
lifts a post the rules already report at `low` to `medium`. Not part of `make eval` (it trains
five models); run it with `python -m evaluation.experiment_char_ngrams`. Nothing is shipped: the
figures are in docs/evaluation.md, section "scams on real lures", and they are why.
"""

from __future__ import annotations

import json
import zlib
from typing import Iterable

import numpy as np
import yaml
from sentinelle.detectors import Context, get
from sentinelle.model import Severity, parse_item
from sentinelle.text.normalize import fold
from sentinelle.watchlist import parse_watchlist

from evaluation.eval_scams import mendeley, uci
from evaluation.eval_scams_realworld import realworld

DIM = 1 << 18


def features(text: str) -> np.ndarray:
    t = " " + " ".join(fold(text).split()) + " "
    grams = {zlib.crc32(t[i:i + n].encode()) % DIM for n in (3, 4, 5) for i in range(len(t) - n + 1)}
    return np.fromiter(grams, dtype=np.int64) if grams else np.zeros(1, dtype=np.int64)


def train(rows: list[tuple[str, bool]], epochs: int = 5, lr: float = 0.3, l2: float = 1e-6) -> tuple[np.ndarray, float]:
    xs = [features(t) for t, _ in rows]
    ys = np.array([int(y) for _, y in rows])
    weight = {1: len(ys) / (2 * max(1, ys.sum())), 0: len(ys) / (2 * max(1, len(ys) - ys.sum()))}
    w, b = np.zeros(DIM), 0.0
    order = np.arange(len(xs))
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            x = xs[i]
            sq = np.sqrt(len(x))
            g = (1 / (1 + np.exp(-(w[x].sum() / sq + b))) - ys[i]) * weight[int(ys[i])]
            w[x] -= lr * (g / sq + l2 * w[x])
            b -= lr * g
    return w, b


def _prf(pairs: Iterable[tuple[bool, bool]]) -> tuple[float, float]:
    tp = fp = fn = 0
    for truth, pred in pairs:
        tp += truth and pred
        fp += pred and not truth
        fn += truth and not pred
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def main() -> None:
    base = realworld()
    labels = {d["id"]: d for d in map(json.loads, (base / "labels.jsonl").read_text(encoding="utf-8").splitlines())}
    items = [json.loads(line) for line in (base / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    ctx = Context.ephemeral(watchlist=parse_watchlist(yaml.safe_load((base / "watchlist.yaml").read_text(encoding="utf-8"))))
    det = get("scams")
    rules: dict[str, tuple[bool, bool]] = {}
    for d in items:
        item = parse_item(d)
        found = det.detect(item, ctx) if det.applies(item, ctx) else []
        rules[d["id"]] = (any(f.severity >= Severity.medium for f in found), bool(found))
    rows = [(d["text"], labels[d["id"]]) for d in items]

    def source(*names: str) -> list[tuple[str, dict]]:
        return [(t, lab) for t, lab in rows if lab["source"] in names]

    public = uci() + mendeley()[0]
    setups = [
        ("public EN SMS (UCI, Mendeley)", public, rows),
        ("smishtank + smishx", [(t, lab["positive"]) for t, lab in source("smishtank", "smishx")],
         source("spamhunter_fr")),
        ("spamhunter_fr + smishx", [(t, lab["positive"]) for t, lab in source("spamhunter_fr", "smishx")],
         source("smishtank")),
        ("smishtank + spamhunter_fr", [(t, lab["positive"]) for t, lab in source("smishtank", "spamhunter_fr")],
         source("smishx")),
    ]
    print("| trained on | measured on | model P | model R | rules P | rules R | rules + model P | R |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, train_rows, test in setups:
        w, b = train(train_rows)
        model, alone, both = [], [], []
        for text, lab in test:
            x = features(text)
            pred = 1 / (1 + np.exp(-(w[x].sum() / np.sqrt(len(x)) + b))) > 0.5
            medium, low = rules[lab["id"]]
            model.append((lab["positive"], bool(pred)))
            alone.append((lab["positive"], medium))
            both.append((lab["positive"], medium or (bool(pred) and low)))
        target = sorted({lab["source"] for _, lab in test})
        figures = [*_prf(model), *_prf(alone), *_prf(both)]
        print(f"| {name} | {', '.join(target)} | " + " | ".join(f"{v:.3f}" for v in figures) + " |")


if __name__ == "__main__":
    main()
