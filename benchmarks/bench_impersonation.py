"""Speed of the lookalike-domain index, the impersonation detector, and many-to-many name matching."""

from __future__ import annotations

import os
import random
import string
import time
from datetime import datetime, timezone
from pathlib import Path

from sentinelle.detectors import Context, get
from sentinelle.model import Profile
from sentinelle.signals import domains as domains_mod
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.names import NameIndex
from sentinelle.text import urls as urls_mod
from sentinelle.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[1]
WATCHLIST = ROOT / "examples/demo/watchlist.yaml"
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)

FIRST = """claire julien sophie marie jean pierre louis lucas emma lea chloe camille manon ines sarah
anne paul hugo nathan thomas nicolas antoine julie laura pauline lucie alice juliette clara anais
mathieu olivier david eric laurent michel philippe alain patrick daniel isabelle nathalie sandrine
valerie celine christine sylvie catherine martine helene elodie audrey melanie amelie charlotte
romain vincent sebastien guillaume maxime alexandre benjamin quentin adrien florian kevin damien
mohamed karim yanis sofia nora leila amina omar rayan adam lina jade louise rose ambre zoe""".split()
SYLLABLES = """ber mar tin du bois lau rent gar nier mo rel fran cois vin cent le roy fon taine
che val lier bon net ri chard ro bert pe tit blanc ger main mer cier du pont lam bert bou cher
fau re ma thieu gi rard an dre ro ux de la croix col in sa int mi chel gau thier ar naud""".split()
TLDS = ["com", "fr", "net", "org", "io", "info", "shop", "co.uk", "de", "xyz", "online", "site"]


def _surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()


def _mutate(rng: random.Random, name: str) -> str:
    """A copy of a name as impostors write it: a typo, doubled letter, swapped words or a title."""
    how = rng.randrange(5)
    if how == 0:
        i = rng.randrange(1, len(name) - 1)
        return name[:i] + name[i] + name[i:]
    if how == 1:
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if how == 2:
        first, last = name.split(" ", 1)
        return f"{last.upper()} {first}"
    if how == 3:
        return f"Dr. {name}"
    return name.replace("o", "0", 1).replace("e", "3", 1)


def _clear_caches() -> None:
    for f in (domains_mod.glyph_skeleton, urls_mod._split, urls_mod._ascii):
        f.cache_clear()


def _links(rng: random.Random, n: int) -> list[str]:
    """Distinct links: mostly unrelated sites, some lookalikes of the demo brands, some official."""
    out = set()
    brands = ["maisonlumiere", "lumiere-patrimoine", "sante-lumiere"]
    while len(out) < n:
        r = rng.random()
        if r < 0.8:
            label = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
            if rng.random() < 0.3:
                label += "-" + rng.choice(["shop", "blog", "app", "news", "store", "online"])
            host = f"{label}{rng.randint(0, 999) if rng.random() < 0.2 else ''}.{rng.choice(TLDS)}"
        elif r < 0.95:
            b = rng.choice(brands)
            i = rng.randrange(len(b))
            host = rng.choice([b[:i] + rng.choice(string.ascii_lowercase) + b[i + 1:], f"{b}-{rng.choice(['login', 'promo', 'secure'])}{rng.randint(0, 99)}",
                               b[:i] + b[i + 1:]]) + "." + rng.choice(TLDS)
        else:
            host = f"{rng.choice(['www', 'shop', 'espace', 'm'])}{rng.randint(0, 999)}.{rng.choice(['maisonlumiere.fr', 'lumiere-patrimoine.fr'])}"
        out.add(f"https://{host}/{rng.choice(['', 'login', 'p/123', 'promo?x=1'])}")
    return sorted(out)


def bench_links() -> list[list[str]]:
    rng = random.Random(1)
    wl = load_watchlist(WATCHLIST)
    ix = LookalikeIndex.from_watchlist(wl)
    links = _links(rng, 100_000)
    rows = []
    _clear_caches()
    t = time.process_time()
    flagged = sum(ix.check(u).is_lookalike for u in links)
    cold = time.process_time() - t
    rows.append(["LookalikeIndex.check, demo watchlist (3 brands), 100,000 distinct links, cold caches",
                 f"{cold:.2f} s", f"**{len(links) / cold:,.0f} links/s**", f"{flagged:,} lookalikes"])
    # A feed: the same hosts come back (a shop, a news site, a shortener), each link with its own path.
    hosts = links[:5_000]
    weights = [1 / (rank + 1) for rank in range(len(hosts))]  # Zipf-like popularity
    stream = [f"{u}?p={i}" for i, u in enumerate(rng.choices(hosts, weights, k=100_000))]
    _clear_caches()
    fresh = LookalikeIndex.from_watchlist(wl)
    t = time.process_time()
    for u in stream:
        fresh.check(u)
    feed = time.process_time() - t
    rows.append(["same index, a feed-like stream: 100,000 links over 5,000 hosts (Zipf-like repeats)",
                 f"{feed:.2f} s", f"{len(stream) / feed:,.0f} links/s", ""])
    # A large watchlist: 500 official domains and their names.
    names = sorted({_surname(rng).lower() + rng.choice(["", "bank", "shop", "-group", "tech"]) for _ in range(700)})[:500]
    big = LookalikeIndex([f"{n}.{rng.choice(TLDS)}" for n in names], [n.replace("-", " ") for n in names])
    _clear_caches()
    t = time.process_time()
    flagged = sum(big.check(u).is_lookalike for u in links)
    el = time.process_time() - t
    rows.append(["LookalikeIndex.check, 500 protected domains, same 100,000 links, cold caches (names and links "
                 "built from the same syllables: a worst case for the prefilters)", f"{el:.2f} s",
                 f"{len(links) / el:,.0f} links/s", f"{flagged:,} lookalikes"])
    return rows


def bench_detector() -> list[list[str]]:
    rng = random.Random(2)
    wl = load_watchlist(WATCHLIST)
    det = get("impersonation")
    people = [p.name for p in wl.people]
    profiles = []
    for i in range(20_000):
        if i % 10 == 0:
            name = _mutate(rng, rng.choice(people))
            bio = rng.choice(["Conseillère Lumière Patrimoine", "Prof de yoga", "Maison Lumière ❤"])
            links = [rng.choice(["https://lumiere-patrimoine-connexion.fr/login", "https://example.org/"])]
        else:
            name = f"{rng.choice(FIRST).capitalize()} {_surname(rng)}"
            bio, links = rng.choice(["Photographe", "Fan de cuisine", "Développeuse", ""]), []
        profiles.append(Profile(platform="x", id=str(i), handle=name.lower().replace(" ", "_").replace(".", ""),
                                display_name=name, bio=bio, links=links, followers=rng.randint(0, 5000)))
    ctx = Context.ephemeral(watchlist=wl, now=NOW)
    det.detect(profiles[0], ctx)  # build the per-watchlist state outside the timing
    t = time.process_time()
    found = sum(len(det.detect(p, ctx)) for p in profiles if det.applies(p, ctx))
    el = time.process_time() - t
    return [["impersonation detector, demo watchlist, 20,000 profiles (10% copying a protected person)",
             f"{el:.2f} s", f"**{len(profiles) / el:,.0f} profiles/s**", f"{found:,} findings"]]


def bench_many_to_many(n_ids: int = 10_000, n_cands: int = 100_000, sample: int = 200) -> list[list[str]]:
    rng = random.Random(3)
    ids: set[str] = set()
    while len(ids) < n_ids:
        ids.add(f"{rng.choice(FIRST).capitalize()} {_surname(rng)}")
    identities = sorted(ids)
    cands = [_mutate(rng, rng.choice(identities)) if rng.random() < 0.05
             else f"{rng.choice(FIRST).capitalize()} {_surname(rng)}" for _ in range(n_cands)]
    t = time.process_time()
    index = NameIndex(identities)
    build = time.process_time() - t
    t = time.process_time()
    pairs = index.match_many(cands, cutoff=85, workers=1)
    blocked = time.process_time() - t
    # The naive loop on a sample, extrapolated; and what blocking kept of its pairs there.
    sample_cands = cands[:sample]
    t = time.process_time()
    naive_pairs = index.match_naive(sample_cands, cutoff=85)
    naive = (time.process_time() - t) * n_cands / sample
    kept = sum(1 for k in naive_pairs if k in pairs)
    return [
        [f"index {n_ids:,} protected names (blocks by first/last 3 letters of each word)", f"{build:.2f} s", "", ""],
        [f"blocked `process.cdist` (workers=1): {n_ids:,} × {n_cands:,} names", f"**{blocked:.1f} s**",
         f"{n_cands / blocked:,.0f} candidates/s", f"{len(pairs):,} pairs ≥ 85"],
        [f"naive nested loop (`fuzz.token_sort_ratio` per pair), {sample} candidates timed, extrapolated",
         f"{naive:,.0f} s", f"**{naive / blocked:,.0f}× slower**",
         f"blocking kept {kept}/{len(naive_pairs)} of the sample's pairs"],
    ]


def run() -> str:
    head = "| what | time (CPU) | rate | found |\n|---|---|---|---|\n"
    load = os.getloadavg()[0]
    t = time.process_time()
    for _ in range(10_000_000):
        pass
    calibration = time.process_time() - t
    rows = bench_links() + bench_detector() + bench_many_to_many()
    rows.append(["calibration: an empty Python loop of 10,000,000 turns (to compare machines and load)",
                 f"{calibration:.2f} s", "", ""])
    body = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    return ("## impersonation and lookalike domains\n\n"
            "One core, CPU time (`time.process_time`). Links and names are generated with fixed seeds; "
            "lookalike checks never generate permutations of the protected domains. Load average when "
            f"started: {load:.1f} on {os.cpu_count()} cores (a busy machine slows CPU-time figures too).\n\n"
            + head + body + "\n")


if __name__ == "__main__":
    print(run())
