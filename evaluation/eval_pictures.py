"""Pictures read by OCR: each engine installed here over generated pictures (evaluation/pictures.py),
per kind, through the real detectors (leaks for records, cards, bank slips and secrets posted by the
organisation's people; scams for flyers posted by strangers under the brand's hashtag)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from evaluation.pictures import KINDS, Picture, picture_set
from sentinelle.detectors import Context, get
from sentinelle.model import Post, Severity, parse_item
from sentinelle.readers import ReaderUnavailable, make_reader
from sentinelle.readers.pictures import PictureReader, Unreadable
from sentinelle.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
WL = load_watchlist(ROOT / "examples" / "demo" / "watchlist.yaml")
PER_KIND = int(os.environ.get("SENTINELLE_EVAL_PICTURES", "5"))
# Who posts each detector's pictures: the health centre's doctor for leaks (the health policy
# applies), a stranger under the brand's hashtag for scams.
AUTHOR = {"leaks": "drmarchand@mastodon.social", "scams": "bons_plans_lumiere@mastodon.social"}
TEXT = {"leaks": "Pour info, voir la photo", "scams": "#MaisonLumiere à ne pas manquer 👇"}


def _post(n: int, picture: Picture) -> Post:
    item = parse_item({"type": "post", "platform": "mastodon", "id": f"pic{n}", "url": f"https://mastodon.social/@x/{n}",
                       "author": {"id": str(n), "handle": AUTHOR[picture.detector]}, "text": TEXT[picture.detector],
                       "media": [{"type": "image", "url": f"https://files.example/{n}.jpg"}]})
    assert isinstance(item, Post)
    return item


def _alerts(picture: Picture, post: Post, ctx: Context) -> bool:
    findings = get(picture.detector).detect(post, ctx)
    return any(f.severity >= Severity.medium and (picture.detector == "scams" or "picture" in f.evidence)
               for f in findings)


def _engines() -> list[str]:
    out = []
    for name in ("rapidocr", "tesseract"):
        try:
            make_reader(name)
        except ReaderUnavailable:
            continue
        out.append(name)
    return out


def _evaluate(engine: str | None, pictures: list[Picture]) -> tuple[dict[str, list[bool]], float]:
    reader = make_reader(engine) if engine else None
    files = {f"https://files.example/{n}.jpg": p.data for n, p in enumerate(pictures)}

    def fetch(url: str) -> bytes:
        if url not in files:
            raise Unreadable("unknown")
        return files[url]

    ctx = Context.ephemeral(WL, pictures=PictureReader(fetch, reader) if reader else None)
    hits: dict[str, list[bool]] = {k: [] for k in KINDS}
    started = time.perf_counter()
    for n, picture in enumerate(pictures):
        hits[picture.kind].append(_alerts(picture, _post(n, picture), ctx))
    return hits, time.perf_counter() - started


def run() -> str:
    pictures = picture_set(PER_KIND)
    expected = {p.kind: (p.detector, p.positive) for p in pictures}
    engines = _engines()
    results = {"no OCR (text and alt text only)": _evaluate(None, pictures)}
    for engine in engines:
        results[engine] = _evaluate(engine, pictures)
    names = list(results)
    lines = [
        "## pictures (OCR)", "",
        f"{len(pictures)} generated pictures ({PER_KIND} per kind; `evaluation/pictures.py`: {len(KINDS)} kinds, "
        "several fonts, rotation up to 3°, blur, noise, JPEG quality 45-85), each attached to a post whose "
        "text alone says nothing: leaks pictures posted by the health centre's doctor, scams pictures by a "
        "stranger under `#MaisonLumiere`. A picture counts as found when its detector reports it at medium "
        "or above (leaks: from the picture). Engines not installed here are left out.", "",
        "| kind | detector | expected | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for kind in KINDS:
        detector, positive = expected[kind]
        cells = [f"{sum(results[e][0][kind])}/{len(results[e][0][kind])}" for e in names]
        lines.append(f"| {kind} | {detector} | {'report' if positive else 'stay quiet'} | " + " | ".join(cells) + " |")
    lines += ["", "| engine | recall (positives found) | false alarms (negatives reported) "
              "| pictures/s (OCR and detectors, one process) |",
              "|---|---|---|---|"]
    for e in names:
        hits, took = results[e]
        pos = [h for k in KINDS if expected[k][1] for h in hits[k]]
        neg = [h for k in KINDS if not expected[k][1] for h in hits[k]]
        lines.append(f"| {e} | {sum(pos)}/{len(pos)} = {sum(pos) / len(pos):.2f} | {sum(neg)}/{len(neg)} = "
                     f"{sum(neg) / len(neg):.2f} | {len(pictures) / took:.2f} |")
    return "\n".join(lines) + "\n"
