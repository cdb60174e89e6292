"""Speed of the lookalike-domain index, the impersonation detector, and many-to-many name matching."""

from __future__ import annotations

import os
import random
import string
import time
from datetime import datetime, timezone
from pathlib import Path

from sentinelle.detectors import Context, get
from sentinelle.detectors.impersonation import CACHE_KEY, _State
from sentinelle.model import Profile
from sentinelle.signals import domains as domains_mod
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.names import NameIndex
from sentinelle.text import urls as urls_mod
from sentinelle.text.brands import BrandMatcher
from sentinelle.watchlist import AccountRef, Brand, Person, Rule, Watchlist, load_watchlist

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


def _merge_or_pad(rng: random.Random, name: str) -> str:
    """Copies `_mutate` does not make: words run together, the employer added, two typos at once."""
    how = rng.randrange(3)
    if how == 0:
        return name.replace(" ", rng.choice(["", "_", "."]))
    if how == 1:
        return f"{name} | {rng.choice(['Lumière Patrimoine', 'Conseil', 'Maison Lumière officiel'])}"
    return _mutate(rng, _mutate(rng, name))


def scaled_watchlist(n: int, seed: int = 11) -> Watchlist:
    """The demo watchlist grown to `n` protected identities (its brands and people, then generated
    people with one or two accounts each, as an ambassador programme lists them)."""
    rng = random.Random(seed)
    wl = load_watchlist(WATCHLIST)
    people = list(wl.people)
    names = {p.name for p in people}
    while len(people) + len(wl.brands) < n:
        name = f"{rng.choice(FIRST).capitalize()} {_surname(rng)}"
        if name in names:
            continue
        names.add(name)
        first, last = name.lower().split(" ")
        handles = [rng.choice([first + last, f"{first}_{last}", f"{first[0]}{last}", f"{last}.{first}"])]
        accounts = [AccountRef(platform="x", handle=handles[0])]
        if rng.random() < 0.3:
            accounts.append(AccountRef(platform="mastodon", handle=f"{first}{last}@mastodon.social"))
        people.append(Person(name=name, accounts=accounts))
    return wl.model_copy(update={"people": people[: max(0, n - len(wl.brands))]})


def scaled_profiles(wl: Watchlist, n: int, seed: int = 12, copies: float = 0.1) -> list[Profile]:
    """`n` profiles: a share copying a protected person (typos, word order, titles, leetspeak,
    words run together, the employer added, two typos at once; handle copied or not), the rest
    ordinary people whose first names the watchlist shares."""
    rng = random.Random(seed)
    people = wl.people
    out = []
    for i in range(n):
        if rng.random() < copies:
            p = rng.choice(people)
            name = _mutate(rng, p.name) if rng.random() < 0.6 else _merge_or_pad(rng, p.name)
            handle = (rng.choice(p.accounts).handle.split("@")[0] + rng.choice(["", "_", "1", "_official"])
                      if p.accounts and rng.random() < 0.5 else name.lower().replace(" ", "_").replace(".", ""))
            bio = rng.choice(["Conseillère Lumière Patrimoine", "Prof de yoga", "Maison Lumière ❤", ""])
            links = [rng.choice(["https://lumiere-patrimoine-connexion.fr/login", "https://example.org/"])]
        else:
            name = f"{rng.choice(FIRST).capitalize()} {_surname(rng)}"
            handle = name.lower().replace(" ", rng.choice(["_", "", "."])) + rng.choice(["", str(rng.randint(1, 99))])
            bio, links = rng.choice(["Photographe", "Fan de cuisine", "Développeuse", ""]), []
        out.append(Profile(platform="x", id=str(i), handle=handle, display_name=name, bio=bio, links=links,
                           followers=rng.randint(0, 5000)))
    return out


def exhaustive_context(wl: Watchlist) -> Context:
    """A context whose impersonation state scores every identity: the reference for the blocked path."""
    ctx = Context.ephemeral(wl, now=NOW)
    ctx.memo(CACHE_KEY, lambda w: _State(w, BrandMatcher.cached(ctx), exhaustive=True))
    return ctx


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


SCALES = (10, 100, 1_000, 10_000)


def _rate(detector: str, ctx: Context, items: list, repeats: int = 3) -> tuple[float, int]:
    """(items per CPU second, findings): the best of `repeats` runs, the state built beforehand."""
    det = get(detector)
    det.detect(items[0], ctx)
    best, found = float("inf"), 0
    for _ in range(repeats):
        t = time.process_time()
        found = sum(len(det.detect(i, ctx)) for i in items)
        best = min(best, time.process_time() - t)
    return len(items) / best, found


def scaled_brands(n: int, seed: int = 13) -> Watchlist:
    """The demo watchlist with `n` brands: its own three, then generated ones (name, alias, hashtag, domain)."""
    rng = random.Random(seed)
    wl = load_watchlist(WATCHLIST)
    brands, names = list(wl.brands), {b.name for b in wl.brands}
    while len(brands) < n:
        name = f"{_surname(rng)} {rng.choice(['Market', 'Bank', 'Energie', 'Voyages', 'Assurances', 'Mode'])}"
        if name in names:
            continue
        names.add(name)
        squeezed = name.lower().replace(" ", "")
        brands.append(Brand(name=name, aliases=[squeezed], hashtags=[squeezed], domains=[f"{squeezed}.{rng.choice(TLDS)}"]))
    return wl.model_copy(update={"brands": brands[:n]})


def scaled_rules(n: int, seed: int = 14) -> Watchlist:
    """The demo watchlist with `n` rules of the organisation's own (terms), beside its two policy packs."""
    rng = random.Random(seed)
    wl = load_watchlist(WATCHLIST)
    rules = list(wl.policies.rules)
    while len(rules) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(3))
        rules.append(Rule(id=f"rule-{len(rules)}", description=f"never name project {word}", terms=[f"projet {word}"],
                          severity="medium"))
    return wl.model_copy(update={"policies": wl.policies.model_copy(update={"rules": rules[:n]})})


def bench_scaling() -> tuple[list[list[str]], int]:
    """Each detector's rate as the watchlist grows; impersonation also scored exhaustively (every
    identity, the path blocking replaced) where that stays affordable."""
    from benchmarks.bench_leaks import posts as leak_posts
    from benchmarks.bench_scams import posts as scam_posts
    from sentinelle.model import parse_item

    rows = []
    for n in SCALES:
        wl = scaled_watchlist(n)
        profiles = scaled_profiles(wl, 5_000)
        rate, found = _rate("impersonation", Context.ephemeral(wl, now=NOW), profiles)
        t = time.process_time()
        _State(wl, BrandMatcher(wl))
        build = time.process_time() - t
        if n <= 1_000:
            sample = profiles[: 5_000 if n <= 100 else 500]
            ex_rate, ex_found = _rate("impersonation", exhaustive_context(wl), sample, repeats=1)
            same = ("same findings" if ex_found == sum(len(get("impersonation").detect(p, Context.ephemeral(wl, now=NOW)))
                                                        for p in sample) else "**findings differ**")
            exhaustive = f"{ex_rate:,.0f} ({same} on {len(sample):,})"
        else:
            exhaustive = "not run (hours)"
        rows.append([f"impersonation, {n:,} protected identities", f"**{rate:,.0f}** profiles/s", exhaustive,
                     f"{build:.2f} s", f"{found:,}"])
    scams = scam_posts(5_000)
    for n in SCALES:
        rate, found = _rate("scams", Context.ephemeral(scaled_brands(n), now=NOW), scams)
        rows.append([f"scams, {n:,} brands", f"**{rate:,.0f}** posts/s", "", "", f"{found:,}"])
    leaks = [parse_item(i) for i in leak_posts(5_000)]
    for n in SCALES:
        rate, found = _rate("leaks", Context.ephemeral(scaled_rules(n), now=NOW), leaks)
        rows.append([f"leaks, {n:,} organisation rules (+ health and finance packs)", f"**{rate:,.0f}** posts/s",
                     "", "", f"{found:,}"])
    return rows, 5_000


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
    scaling, n = bench_scaling()
    scale_head = ("| detector and watchlist | rate (best of 3, CPU) | exhaustive: every identity scored | "
                  "state built | findings |\n|---|---|---|---|---|\n")
    scale_body = "\n".join("| " + " | ".join(r) + " |" for r in scaling)
    return ("## impersonation and lookalike domains\n\n"
            "One core, CPU time (`time.process_time`). Links and names are generated with fixed seeds; "
            "lookalike checks never generate permutations of the protected domains. Load average when "
            f"started: {load:.1f} on {os.cpu_count()} cores (a busy machine slows CPU-time figures too).\n\n"
            + head + body + "\n\n"
            "### As the watchlist grows\n\n"
            f"{n:,} items per detector. Impersonation: the demo watchlist grown to *n* protected identities "
            "(generated people with one or two accounts), profiles 10 % copying one of them (typos, swapped "
            "words, titles, leetspeak, words run together, the employer added, two typos at once) and 90 % "
            "ordinary people who share the watchlist's first names; the detector blocks on words and handle "
            "cores (`signals.names.NameMatcher`, `HandleMatcher`) and scores only the candidates. Scams: "
            "`bench_scams` posts against *n* brands. Leaks: `bench_leaks` posts against *n* rules of the "
            "organisation's own. Load average when this table started: "
            f"{os.getloadavg()[0]:.1f}.\n\n" + scale_head + scale_body + "\n")


if __name__ == "__main__":
    print(run())
