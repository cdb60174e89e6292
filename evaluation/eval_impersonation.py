"""Quality of the `impersonation` detector and of the lookalike-domain index it shares with `scams`."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from sentinelle.detectors import Context, get
from sentinelle.model import Severity, parse_item
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.names import NameIndex, handle_core, handle_matches, handle_similarity
from sentinelle.text.urls import host_of
from sentinelle.watchlist import parse_watchlist

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/detectors"
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)


def shared() -> Path:
    return Path(os.environ.get("SENTINELLE_SHARED", ROOT.parent / "shared")) / "data"


def _pct(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def _table(head: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# -- lookalike domains ------------------------------------------------------------------------
def lookalike_fixtures() -> str:
    doc = json.loads((FIXTURES / "lookalike_domains.json").read_text("utf-8"))
    ix = LookalikeIndex.from_watchlist(parse_watchlist(doc["watchlist"]))
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for case in doc["positive"]:
        v = ix.check(case["domain"])
        row = by_kind[case["kind"]]
        row[0] += 1
        row[1] += v.is_lookalike
        row[2] += v.is_lookalike and v.target == case["target"]
        row[3] += v.is_lookalike and v.kind == case["kind"]
    neg = Counter()
    flagged = Counter()
    for case in doc["negative"]:
        why = case["why"].split(",")[0].split(" ")[0]
        neg[why] += 1
        flagged[why] += ix.check(case["domain"]).is_lookalike
    total = [sum(r[i] for r in by_kind.values()) for i in range(4)]
    rows = [[k, r[0], _pct(r[1], r[0]), _pct(r[2], r[0]), _pct(r[3], r[0])] for k, r in sorted(by_kind.items())]
    rows.append(["**all**", total[0], f"**{_pct(total[1], total[0])}**", _pct(total[2], total[0]), _pct(total[3], total[0])])
    neg_rows = [[k, neg[k], flagged[k]] for k in sorted(neg)]
    return (
        "### Lookalike domains: own fixtures (`tests/fixtures/detectors/lookalike_domains.json`)\n\n"
        "A seeded sample of every dnstwist fuzzer's output for four official domains, plus hand-written "
        "combosquats, brand subdomains and IDN homographs. *Kind named* is whether the index gave the "
        "generator's name (several fuzzers can produce the same string, e.g. a vowel swap that is also a "
        "bit flip, so this is informative only).\n\n"
        + _table(["kind", "cases", "flagged (recall)", "right target", "kind named"], rows)
        + "\n\n" + _table(["negatives", "cases", "flagged"], neg_rows)
    )


def _etherscam_index(legit: list[dict], skip: int | None = None) -> LookalikeIndex:
    doms, names, brand_of = [], [], {}
    for i, r in enumerate(legit):
        if i == skip:
            continue
        d = host_of(r["url"]).removeprefix("www.")
        doms.append(d)
        names.append(r["name"])
        brand_of.setdefault(d, r["name"])
        brand_of.setdefault(r["name"], r["name"])
    return LookalikeIndex(doms, names, brand_of)


def etherscamdb() -> str:
    base = shared() / "phishing_domains/etherscamdb"
    legit = list(csv.DictReader(open(base / "etherscamdb_legit_brands.csv", encoding="utf-8")))
    rows = [r for r in csv.DictReader(open(base / "etherscamdb_scams.csv", encoding="utf-8")) if r["kind"] == "domain"]
    ix = _etherscam_index(legit)
    legit_hosts = {host_of(r["url"]).removeprefix("www.") for r in legit}

    targeted = [r for r in rows if r["target_legit_url"]]
    hit = right = 0
    by_kind = Counter()
    for r in targeted:
        v = ix.check(r["host"])
        if v.is_lookalike:
            hit += 1
            by_kind[v.kind] += 1
            want = host_of(r["target_legit_url"]).removeprefix("www.")
            right += (v.brand or "").casefold() == r["target"].casefold() or v.target == want
    phishing = [r for r in rows if r["category"] == "Phishing"]
    ph_hit = sum(ix.check(r["host"]).is_lookalike for r in phishing)
    scamming = [r for r in rows if r["category"] == "Scamming"]
    sc_hit = sum(ix.check(r["host"]).is_lookalike for r in scamming)

    # Legitimate brands: each checked against an index of the other 100 (leave one out).
    confused = []
    for i, r in enumerate(legit):
        d = host_of(r["url"]).removeprefix("www.")
        others = _etherscam_index(legit, skip=i)
        if d in others.official:
            continue  # listed twice (ethereumdev.io)
        v = others.check(d)
        if v.is_lookalike:
            confused.append(f"{d} → {v.target} ({v.kind})")
    kinds = ", ".join(f"{k} {n}" for k, n in by_kind.most_common())
    return (
        "### EtherScamDB phishing domains (protected: the 101 URLs of `etherscamdb_legit_brands.csv`)\n\n"
        + _table(["set", "domains", "flagged as lookalike", "right brand (of flagged)"], [
            ["phishing with a target in the legit list", len(targeted), f"**{_pct(hit, len(targeted))}**",
             f"**{_pct(right, hit)}**"],
            ["all `Phishing` rows (targets outside the list included)", len(phishing), _pct(ph_hit, len(phishing)), ""],
            ["`Scamming` rows (giveaway sites, mostly not lookalikes)", len(scamming), _pct(sc_hit, len(scamming)), ""],
        ])
        + f"\n\nKinds among the flagged targeted domains: {kinds}.\n\n"
        f"**False positives on the legit list** (each of the {len(legit_hosts)} legit domains checked against the "
        f"other brands, leave one out): {len(confused)} flagged ({_pct(len(confused), len(legit_hosts))}). Most are "
        "one project's own variants listed as separate brands (ethereum.org / ethereum.com / ethereum.network, "
        "everex.io / everex.cash, metamask.io / metamas.com, etheroll.com / myetheroll.com), which a watchlist "
        "would list as one brand's domains; the others are real cross-brand confusions of short generic "
        f"names: {'; '.join(confused[:40])}.\n"
    )


DISCORD = {"discord.com": "Discord", "discord.gift": "Discord", "discordapp.com": "Discord",
           "steamcommunity.com": "Steam", "steampowered.com": "Steam"}


def discord() -> str:
    path = shared() / "phishing_domains/discord_phishing_links/discord_phishing_domains.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    setups = {
        "brand names only (Discord, Steam)": ["Discord", "Steam"],
        "plus product names as aliases (Discord Nitro, HypeSquad, Steam Community)":
            ["Discord", "Steam", "Discord Nitro", "HypeSquad", "Steam Community"],
    }
    out_rows = []
    for label, names in setups.items():
        brand_of = dict(DISCORD)
        brand_of.update({n: ("Steam" if "Steam" in n else "Discord") for n in names})
        ix = LookalikeIndex(DISCORD, names, brand_of)
        tot, hit = Counter(), Counter()
        for r in rows:
            v = ix.check(r["domain"])
            tot[r["target_hint"]] += 1
            hit[r["target_hint"]] += v.is_lookalike
        for hint in ["discord", "steam", "discord+steam", "other"]:
            out_rows.append([label, hint, tot[hint], _pct(hit[hint], tot[hint])])
        out_rows.append([label, "**all**", sum(tot.values()), _pct(sum(hit.values()), sum(tot.values()))])
    return (
        "### Discord/Steam phishing domains (protected: discord.com, discord.gift, discordapp.com, "
        "steamcommunity.com, steampowered.com)\n\n"
        "All 21,908 rows are phishing; `target_hint` is the kit's heuristic guess of the imitated brand "
        "(`other`: neither, e.g. generic crypto or game lures, which no lookalike test of these brands "
        "should catch). The list has no legitimate domains, so it gives recall only.\n\n"
        + _table(["watchlist", "target hint", "domains", "flagged (recall)"], out_rows)
    )


# -- handles ----------------------------------------------------------------------------------
def handles() -> str:
    path = shared() / "impersonation/etherscamdb_handles/crypto_social_handles.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    legit = [r["handle"] for r in rows if r["label"] == "legit"]
    index = NameIndex(legit, normalise=handle_core)

    def matches(handle: str, skip: int | None = None) -> list[tuple[int, str]]:
        out = []
        for j in index.candidates(handle):
            if j != skip and handle_matches(handle, legit[j]):
                out.append((handle_similarity(handle, legit[j]), legit[j]))
        return sorted(out, reverse=True)

    scam = [r for r in rows if r["label"] == "scam"]
    imp = [r for r in scam if r["impersonation"] == "yes"]
    found = right = 0
    missed = []
    for r in imp:
        m = matches(r["handle"])
        if m:
            found += 1
            right += m[0][1].casefold() == r["target_handle"].casefold()
        else:
            missed.append(r["handle"])
    unknown = [r for r in scam if r["impersonation"] != "yes"]
    unk_found = sum(bool(matches(r["handle"])) for r in unknown)
    fp = [(h, matches(h, skip=i)[0][1]) for i, h in enumerate(legit) if matches(h, skip=i)]
    examples = ", ".join(f"{a}~{b}" for a, b in fp[:15])
    return (
        "### Impersonating handles (EtherScamDB: 53 scam handles, 9,397 legitimate ones)\n\n"
        "Each legitimate handle is a protected identity; a handle is flagged when it passes for one "
        "(the same core once separators, digits and words like `official`/`real` are dropped and look-alike "
        "letters folded, or one edit from a core of six letters or more). The 9,397 protected handles are blocked by the "
        "first and last letters of their cores, so each check compares a handful, not all of them.\n\n"
        + _table(["set", "handles", "flagged", "right target (of flagged)"], [
            ["scam handles with an annotated target", len(imp), f"**{_pct(found, len(imp))}**", f"**{_pct(right, found)}**"],
            ["scam handles without a known target", len(unknown), _pct(unk_found, len(unknown)), ""],
            ["legitimate handles vs the other legitimate ones (false positives)", len(legit),
             f"**{_pct(len(fp), len(legit))}** ({len(fp)})", ""],
        ])
        + f"\n\nMissed impersonations: {', '.join(missed) or 'none'}. Legitimate handles that pass for another "
        f"(first 15): {examples}. Many are one organisation's regional or product accounts "
        "(the detector never reports the watchlist's own accounts, and an allowlist covers partners).\n"
    )


# -- profiles ---------------------------------------------------------------------------------
def profiles() -> str:
    doc = json.loads((FIXTURES / "impersonation.json").read_text("utf-8"))
    wl = parse_watchlist(doc["watchlist"])
    det = get("impersonation")
    cache: dict = {}

    def run(raw):
        item = parse_item(raw)
        ctx = Context.ephemeral(watchlist=wl, now=NOW, cache=cache)
        return det.detect(item, ctx) if det.applies(item, ctx) else []

    by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for raw in doc["positive"]:
        want = raw["_expect"]
        key = want["variant"].split(",")[0] if want["kind"].startswith("person") else "brand copies"
        found = [f for f in run(raw) if f.kind == want["kind"] and f.evidence.get("identity") == want["identity"]]
        row = by_variant[key]
        row[0] += 1
        row[1] += bool(found) and found[0].severity >= Severity.medium
        row[2] += bool(found) and found[0].severity >= Severity(want["severity_at_least"])
    tot = [sum(r[i] for r in by_variant.values()) for i in range(3)]
    rows = [[k, r[0], _pct(r[1], r[0]), _pct(r[2], r[0])] for k, r in sorted(by_variant.items())]
    rows.append(["**all positives**", tot[0], f"**{_pct(tot[1], tot[0])}**", _pct(tot[2], tot[0])])
    neg, loud, low = Counter(), Counter(), Counter()
    for raw in doc["negative"]:
        fs = run(raw)
        neg[raw["_why"]] += 1
        loud[raw["_why"]] += any(f.severity >= Severity.medium for f in fs)
        low[raw["_why"]] += bool(fs) and not any(f.severity >= Severity.medium for f in fs)
    neg_rows = [[k, neg[k], f"{loud[k]} ({_pct(loud[k], neg[k])})", low[k]] for k in sorted(neg)]
    all_neg = sum(neg.values())
    neg_rows.append(["**all negatives**", all_neg, f"**{sum(loud.values())} ({_pct(sum(loud.values()), all_neg)})**",
                     sum(low.values())])
    return (
        "### Impersonating profiles: own fixtures (`tests/fixtures/detectors/impersonation.json`)\n\n"
        "Profiles copying the demo watchlist's three people and three brands (name variants × ties: the brand "
        "in the bio, a lookalike link, both) and negatives: namesakes with no tie to the organisation, "
        "unrelated people with close names, customers naming the brand, the organisation's own accounts. "
        "Recall counts findings at `medium` or above; *expected severity* is `high` for those linking to a "
        "lookalike page. Offline (no photo or landing-page checks).\n\n"
        + _table(["variant", "profiles", "found ≥ medium (recall)", "at expected severity"], rows)
        + "\n\n" + _table(["negatives", "profiles", "false alarms (≥ medium)", "recorded at low/info"], neg_rows)
    )


def run() -> str:
    parts = ["## impersonation and lookalike domains", lookalike_fixtures(), etherscamdb(), discord(), handles(),
             profiles()]
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    print(run())
