"""The `scams` detector on real lures (`shared/data/realworld/`) and on real phishing domains.

Nothing of `realworld/` is copied into the project: the texts are read from the shared folder at
run time and only figures (and the ids of the misses) are printed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from sentinelle.detectors import Context, get
from sentinelle.detectors.scams import ScamRules
from sentinelle.model import Post, Severity, parse_item
from sentinelle.text.urls import host_of
from sentinelle.watchlist import parse_watchlist

from evaluation.eval_scams import ROOT, _prf
from evaluation.eval_scams import shared as _scam_text

LEGIT_NEAR_BRAND = ROOT / "evaluation/data/legit_near_brand.csv"
BLIND = ROOT / "tests/fixtures/detectors/scams_lures_blind.json"

# The lure family a brand's lures belong to, by the brand's trade (the labels name the brand, and
# only SmishTank's own category says more): an independent grouping, not the detector's answer.
SECTOR = {
    "bank or payment account": [
        "Bank of America", "BGL BNP Paribas", "BNP Paribas", "Belfius", "Boursorama", "Caisse d'Epargne",
        "Charles Schwab", "Chase", "Citi", "Citizens Bank", "Crédit Agricole", "ICICI Bank", "Kotak Mahindra Bank",
        "La Banque Postale", "N26", "Navy Federal", "Nickel", "RBC", "Regions Bank", "Société Générale", "TD Bank",
        "USAA", "Wells Fargo", "PayPal", "Venmo", "Zelle", "Cash App", "Visa", "Paytm", "itsme"],
    "delivery": ["Chronopost", "Colissimo", "DHL", "FedEx", "La Poste", "UPS", "USPS", "bpost"],
    "telecom or energy bill": ["AT&T", "BASE", "Bouygues Telecom", "EE", "Fido", "Free", "Jio", "Orange", "Proximus",
                               "SFR", "T-Mobile", "Verizon", "EDF", "Hydro-Québec", "Gandi", "OVH"],
    "tax, fine or public benefit": ["IRS", "Impots.gouv", "Gouvernement (gouv.fr)", "EDD", "CAF",
                                    "Mon Compte Formation"],
    "health or insurance": ["Ameli", "Doctolib", "GMF", "Groupama"],
    "retail (prizes, refunds, loyalty)": [
        "Amazon", "Boulanger", "Carrefour", "Cdiscount", "Costco", "Darty", "E.Leclerc", "Fnac", "Home Depot", "Lidl",
        "Nocibé", "Optical Center", "Rouge Gorge", "Sam's Club", "Walmart", "Yves Rocher", "Zara", "CVS", "Walgreens",
        "Swiggy", "Zomato", "Brussels Airlines"],
    "online service account": ["Apple", "Facebook", "Google", "Instagram", "Netflix", "Snapchat", "WhatsApp"],
    "crypto exchange": ["Binance", "Coinbase"],
}
_SECTOR_OF = {b: s for s, brands in SECTOR.items() for b in brands}


def realworld() -> Path:
    return _scam_text().parent / "realworld"


def _row(name: str, pairs: list[tuple[bool, bool]]) -> str:
    n, p, r, f1 = _prf(pairs)
    pos = sum(t for t, _ in pairs)
    return f"| {name} | {n} | {pos} | {p:.3f} | {r:.3f} | {f1:.3f} |"


_HEAD = ["| group | n | scams | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]


def score_realworld() -> tuple[list[dict[str, Any]], str]:
    """Every item run through the detector as production runs it; returns rows and the section."""
    base = realworld()
    wl = parse_watchlist(yaml.safe_load((base / "watchlist.yaml").read_text(encoding="utf-8")))
    ctx = Context.ephemeral(watchlist=wl)
    detector = get("scams")
    labels = {d["id"]: d for d in map(json.loads, (base / "labels.jsonl").read_text(encoding="utf-8").splitlines())}
    rows = []
    for line in (base / "items.jsonl").read_text(encoding="utf-8").splitlines():
        item = parse_item(json.loads(line))
        found = detector.detect(item, ctx) if detector.applies(item, ctx) else []
        top = max(found, key=lambda f: f.severity, default=None)
        lab = labels[item.id]
        rows.append({**lab, "pred": bool(top and top.severity >= Severity.medium),
                     "severity": top.severity.value if top else "-",
                     "scam_type": top.evidence.get("scam_type") if top else None,
                     "sector": _SECTOR_OF.get(lab["brand"], "no brand (legitimate or unrelated)")})
    return rows, _realworld_section(rows)


def _groups(rows: list[dict], key: Callable[[dict], str]) -> list[str]:
    by: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for r in rows:
        by[key(r)].append((r["positive"], r["pred"]))
    return [_row(k, v) for k, v in sorted(by.items())]


def _realworld_section(rows: list[dict]) -> str:
    pairs = [(r["positive"], r["pred"]) for r in rows]
    misses = [r for r in rows if r["positive"] and not r["pred"]]
    false = [r for r in rows if r["pred"] and not r["positive"]]
    found_types = Counter(r["scam_type"] for r in rows if r["positive"] and r["pred"])
    miss_list = ", ".join(f"{r['id']} ({r['brand']}, {r['lang']}, {r['severity']})" for r in misses)
    false_list = ", ".join(f"{r['id']} ({r['category']}, {r['severity']})" for r in false)
    n, p, rec, f1 = _prf(pairs)
    fr = _prf((r["positive"], r["pred"]) for r in rows if r["lang"] == "fr")
    return "\n".join([
        "### Real lures (`shared/data/realworld/`: development half)", "",
        "Each item is a stranger's X post, run through the detector as in production with the set's own "
        "watchlist (95 brands, common words among them); a scam counts as found at severity medium or above. "
        f"Done-when: recall ≥ 0.80 overall and ≥ 0.70 in French with precision ≥ 0.92; here recall "
        f"**{rec:.3f}** overall, **{fr[2]:.3f}** in French, precision **{p:.3f}**.", "",
        *_HEAD, _row("**all**", pairs),
        *_groups(rows, lambda r: f"language: {r['lang']}"),
        *_groups(rows, lambda r: f"source: {r['source']}"),
        *_groups(rows, lambda r: f"brand's trade: {r['sector']}"),
        *_groups([r for r in rows if r["source"] == "smishtank"], lambda r: f"SmishTank category: {r['category']}"),
        "",
        "Scam types named on the scams found: " + ", ".join(f"{k} {v}" for k, v in found_types.most_common()) + ".",
        "",
        f"Missed scams ({len(misses)}; id, brand, language, severity given): {miss_list}.", "",
        f"False alarms ({len(false)}; id, source category, severity): {false_list}.",
    ])


# -- lookalike links --------------------------------------------------------------------------

DISCORD_STEAM = {"organization": "eval", "brands": [
    {"name": "Discord", "aliases": ["Discord Nitro", "HypeSquad"], "domains": ["discord.com", "discord.gift",
                                                                               "discordapp.com"]},
    {"name": "Steam", "aliases": ["Steam Community"], "domains": ["steamcommunity.com", "steampowered.com"]},
]}
CONSUMER = {"organization": "eval", "brands": [
    {"name": n, "domains": d} for n, d in [
        ("PayPal", ["paypal.com"]), ("Amazon", ["amazon.com"]), ("Netflix", ["netflix.com"]),
        ("Apple", ["apple.com"]), ("Microsoft", ["microsoft.com"]), ("Coinbase", ["coinbase.com"]),
        ("Binance", ["binance.com"]), ("DHL", ["dhl.com"]), ("FedEx", ["fedex.com"]), ("UPS", ["ups.com"]),
        ("USPS", ["usps.com"]), ("Chase", ["chase.com"]), ("Wells Fargo", ["wellsfargo.com"]),
        ("Bank of America", ["bankofamerica.com"]), ("Orange", ["orange.fr"]), ("Free", ["free.fr"]),
        ("La Poste", ["laposte.fr"]), ("La Banque Postale", ["labanquepostale.fr"]), ("Ameli", ["ameli.fr"]),
    ]]}


def _ether_watchlist() -> dict:
    path = _scam_text().parent / "phishing_domains/etherscamdb/etherscamdb_legit_brands.csv"
    brands: dict[str, dict] = {}
    for r in csv.DictReader(open(path, encoding="utf-8")):
        d = host_of(r["url"]).removeprefix("www.")
        b = brands.setdefault(r["name"], {"name": r["name"], "domains": []})
        if d not in b["domains"]:
            b["domains"].append(d)
    return {"organization": "eval", "brands": list(brands.values())}


def _alerts(rules: ScamRules, domains: Iterable[str]) -> tuple[int, int, Counter]:
    """Posts that share only a link to each domain: how many alert (medium or above), how many are
    seen as lookalikes at all, and the lookalike kinds of those that do not alert."""
    alerted = seen = 0
    quiet: Counter = Counter()
    for i, d in enumerate(domains):
        a = rules.assess(Post(platform="eval", id=str(i), text=f"https://{d}/"))
        look = a is not None and any(k in a.hits for k in ("lookalike_link", "weak_lookalike"))
        seen += look
        if a is not None and a.severity >= Severity.medium:
            alerted += 1
        elif look:
            quiet[rules.domains.check(d).kind] += 1
    return alerted, seen, quiet


def lookalike_links() -> str:
    base = _scam_text().parent / "phishing_domains"
    ether = ScamRules(parse_watchlist(_ether_watchlist()))
    ds = ScamRules(parse_watchlist(DISCORD_STEAM))
    consumer = ScamRules(parse_watchlist(CONSUMER))
    rows_ = list(csv.DictReader(open(base / "etherscamdb/etherscamdb_scams.csv", encoding="utf-8")))
    targeted = [r["host"] for r in rows_ if r["kind"] == "domain" and r["target_legit_url"]]
    disc = list(csv.DictReader(open(base / "discord_phishing_links/discord_phishing_domains.csv", encoding="utf-8")))
    branded = [r["domain"] for r in disc if r["target_hint"] != "other" and "/" not in r["domain"]]
    other = [r["domain"] for r in disc if r["target_hint"] == "other" and "/" not in r["domain"]]
    legit = [r for r in csv.DictReader(
        (line for line in open(LEGIT_NEAR_BRAND, encoding="utf-8") if not line.startswith("#")))]
    by_watch = {"discord_steam": ds, "consumer": consumer}
    out = []

    def line(name: str, rules: ScamRules, domains: list[str]) -> tuple[int, int, int]:
        alerted, seen, quiet = _alerts(rules, domains)
        kinds = ", ".join(f"{k} {v}" for k, v in quiet.most_common(6)) or "none"
        out.append(f"| {name} | {len(domains)} | {alerted / max(1, len(domains)):.1%} | "
                   f"{seen / max(1, len(domains)):.1%} | {kinds} |")
        return alerted, len(domains), seen

    phishing = [line("EtherScamDB phishing, target in the watched list (phishing)", ether, targeted),
                line("Discord/Steam list, hint discord or steam (phishing)", ds, branded)]
    line("Discord/Steam list, hint other (phishing of other brands: not expected)", ds, other)
    fp_alerts = fp_total = 0
    for watch, rules in by_watch.items():
        doms = [r["domain"] for r in legit if r["watch"] == watch]
        a, n, _ = line(f"legitimate near-brand domains, {watch} watchlist (legit)", rules, doms)
        fp_alerts, fp_total = fp_alerts + a, fp_total + n
    # EtherScamDB's own legitimate list, each domain against the other brands (leave one out).
    wl = _ether_watchlist()
    loo_alerts = 0
    loo: list[str] = []
    for i, b in enumerate(wl["brands"]):
        others = ScamRules(parse_watchlist({**wl, "brands": wl["brands"][:i] + wl["brands"][i + 1:]}))
        for d in b["domains"]:
            found = others.assess(Post(platform="eval", id=d, text=f"https://{d}/"))
            if found is not None and found.severity >= Severity.medium:
                loo_alerts += 1
                loo.append(d)
    n_loo = sum(len(b["domains"]) for b in wl["brands"])
    out.append(f"| EtherScamDB's legitimate list, each against the other brands (legit) | {n_loo} | "
               f"{loo_alerts / n_loo:.1%} | | |")
    return "\n".join([
        "### Lookalike links that alert", "",
        "A post that only shares a link (`https://<domain>/`, no words) is run through `ScamRules.assess`; "
        "*alerts* counts findings at medium or above, *seen* counts links recognised as lookalikes at any "
        "strength; the last column gives the kinds of the lookalikes left at `low` (weak likenesses). "
        "Done-when: ≥ 90 % alerts on phishing imitating a watched brand, ≤ 10 % on legitimate near-brand domains. "
        f"The legitimate near-brand set is `evaluation/data/legit_near_brand.csv` ({len(legit)} real domains written "
        "by hand: the brands' own other domains and unrelated real sites with close names).", "",
        "| set | domains | alerts | seen as lookalike | left at low (kinds) |", "| --- | ---: | ---: | ---: | --- |",
        *out, "",
        "Phishing that imitates a watched brand, alerted: "
        + "; ".join(f"{a / n:.2%} of all the targeted rows ({a} of {n}), {a / max(1, s_):.1%} of those recognised as lookalikes"
                    for a, n, s_ in phishing)
        + " (EtherScamDB, then Discord/Steam). "
        f"Legitimate near-brand domains alerted, both watchlists: {fp_alerts} of {fp_total} "
        f"({fp_alerts / max(1, fp_total):.1%}). EtherScamDB legitimate domains alerted against the other brands: "
        f"{', '.join(loo) or 'none'}.",
    ])


def blind() -> str:
    """A set written in the project's own words after the rules were made, scored once, never tuned on."""
    if not BLIND.exists():
        return ""
    doc = json.loads(BLIND.read_text(encoding="utf-8"))
    ctx = Context.ephemeral(watchlist=parse_watchlist(doc["watchlist"]))
    det = get("scams")

    def reported(post: dict) -> bool:
        item = parse_item(post)
        return any(f.severity >= Severity.medium for f in det.detect(item, ctx)) if det.applies(item, ctx) else False

    pairs = [(True, reported(p)) for p in doc["positive"]] + [(False, reported(p)) for p in doc["negative"]]
    return "\n".join(["### Lures in our own words, never tuned on", "", *_HEAD,
                      _row("`tests/fixtures/detectors/scams_lures_blind.json`", pairs)])


def run() -> str:
    parts = ["## scams on real lures and lookalike links", ""]
    if realworld().is_dir():
        parts += [score_realworld()[1], ""]
    else:
        parts += [f"realworld data not found at {realworld()}: skipped", ""]
    if (_scam_text().parent / "phishing_domains").is_dir():
        parts += [lookalike_links(), ""]
    parts += [blind(), "", NOTES, ""]
    return "\n".join(parts)


NOTES = """How far these figures generalise. Before issue 14 the detector found 25 % of the real lures
(French 9 %) at precision 0.84. The lure families, mended links, common-word evidence and lookalike
strengths were then written while reading the misses and false alarms of all three sources of the
development half, so its per-source rows are not cross-dataset figures: a source that was read
stops measuring. What was never tuned on: the other half of the real lures (kept apart by the
project, unseen); the blind set above, written in our own words after the rules and scored once
(its one miss, a French redelivery worded "nous n'avons pas pu livrer… reprogrammez", was left
as is); and the public sets of the `scams` section, only checked for regressions while the rules
changed (precision held or rose: UCI 0.991 → 0.991, Mendeley 0.990 → 0.990, Janitr 0.864 → 0.870,
with recall up on all three). The lookalike strengths were set while looking at the legitimate
near-brand list (which is what a whitelist would hold): its 9 % is a development figure too.
The last lookalike rules (a plain-spelling pass beside the folded one, long names garbled past
three edits, names under a wildcard country code such as `.kh`, an edit of a short name under the
brand's own rare suffix such as `.market`, account-threat lure words, two protected names in one
label) were written while reading the misses of both phishing lists, which took them from 88.3 % and
89.2 % to the figures above: development figures again, each rule general enough to name in a
sentence and checked against the legitimate lists after each step (none of them moved).
No learned model is shipped. A logistic regression over hashed character 3-5-grams
(`python -m evaluation.experiment_char_ngrams`, numpy only) was trained on some sources and
measured on another: alone it reaches precision 0.63 (trained on the public English SMS sets, on
all the real lures), 0.72 (trained on the two English sources, on the French one), 1.00 at recall
0.06 (on SmishTank) and 0.12 (on SmishX): it learns each source's style, not the lure. Used to lift
a post the rules report at `low` to `medium`, it gives precision 0.933 / recall 0.820 overall (rules:
0.961 / 0.805), 0.938 / 0.921 on the French source and 0.542 / 0.765 on SmishX (rules: 0.722 /
0.765); lifting every `low` finding without any model gives 0.922 / 0.930 on the French source: the
model adds nothing a lower threshold would not, and costs precision elsewhere."""


if __name__ == "__main__":
    print(run())
