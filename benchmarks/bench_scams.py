"""Speed of the `scams` detector alone on one core, against one compiled regex per signal."""

from __future__ import annotations

import os
import random
import re
import time
from typing import Any

from sentinelle.detectors import Context, get
from sentinelle.detectors.scams import ScamRules
from sentinelle.model import Post
from sentinelle.signals.scam_lexicon import PHRASES
from sentinelle.text.brands import BrandMatch
from sentinelle.text.normalize import Prepared, fold, prepare
from sentinelle.watchlist import Watchlist, parse_watchlist

N = 10_000
WATCHLIST = parse_watchlist({
    "organization": "Maison Lumière",
    "brands": [
        {"name": "Maison Lumière", "aliases": ["MaisonLumiere", "Lumiere Market"],
         "hashtags": ["MaisonLumiere", "LumiereDays"], "domains": ["maisonlumiere.fr"]},
        {"name": "Lumière Patrimoine", "aliases": ["LumierePatrimoine"], "hashtags": ["LumierePatrimoine"],
         "domains": ["lumiere-patrimoine.fr"]},
        {"name": "Centre de santé Lumière", "aliases": ["Santé Lumière"], "hashtags": ["SanteLumiere"],
         "domains": ["sante-lumiere.fr"]},
    ],
    "official_accounts": [{"platform": "x", "handle": "maisonlumiere"}],
})

_BRANDS = ["Maison Lumière", "#MaisonLumiere", "#LumiereDays", "MAISON LUMIERE", "Lumière Patrimoine",
           "m@is0n lumière", "Santé Lumière"]
_SCAMS = [
    "{b} -50% sur tout aujourd'hui seulement ! Appelez le 06 {p} et donnez votre numéro de carte.",
    "Congratulations! You won the {b} giveaway, claim your gift card now at bit.ly/{w} before midnight",
    "@{w} Bonjour, ici le service client {b}. Pour votre remboursement, contactez-nous sur WhatsApp +33 7 {p}",
    "{b}: votre commande est bloquée, confirmez vos informations sous 24h https://{w}-maisonlumiere.com/login",
    "Pour débloquer votre bon de 200€ {b}, réglez 20€ de frais en coupon Transcash et envoyez le code",
    "{b} fête ses 10 ans : envoyez 0.1 BTC et recevez 0.2 BTC en retour ! bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
    "{b} support: DM us your card number and expiry date so we can process your refund",
]
_NOISE = [
    "Trop contente de ma nouvelle lampe {b} ✨ on y retourne ce week-end avec les enfants",
    "Selon Le Parisien, {b} ouvre trois nouveaux magasins en 2027, avec 40 emplois à la clé.",
    "Les {b} sont là : -30% sur la déco jusqu'à dimanche 👉 https://www.maisonlumiere.fr/soldes",
    "Attention aux arnaques : de faux comptes {b} demandent votre numéro de carte. Ne donnez jamais vos codes !",
    "Who else is going to the {b} opening in Lyon tomorrow? Meet at 10am near the station",
    "J'attends ma commande {b} depuis 3 semaines, le service client ne répond pas 😡",
    "Had a great time at the concert last night, the band played for two hours and the crowd was amazing",
    "Quelqu'un a une recette de tarte aux pommes sans beurre ? Merci d'avance 🍎",
    "New blog post about our trip to Portugal: https://example.org/blog/portugal-2026 #travel",
    "Le match de ce soir commence à 21h, rendez-vous au bar habituel",
]


def posts(n: int = N, seed: int = 7) -> list[Post]:
    """`n` posts: about a third scams, the rest brand mentions and ordinary chatter, FR and EN."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        template = rnd.choice(_SCAMS) if rnd.random() < 0.35 else rnd.choice(_NOISE)
        text = template.format(b=rnd.choice(_BRANDS), p=f"{rnd.randint(10, 99)} {rnd.randint(10, 99)} "
                               f"{rnd.randint(10, 99)} {rnd.randint(10, 99)}", w=f"u{rnd.randint(1, 10**6)}")
        out.append(Post(platform=rnd.choice(["x", "mastodon", "bluesky"]), id=str(i), text=text,
                        author={"id": str(rnd.randint(1, 5000)), "handle": f"user{rnd.randint(1, 5000)}"}))
    return out


class _RegexPhrases:
    """The baseline: one compiled regular expression per signal, each run over the folded text."""

    def __init__(self) -> None:
        self.patterns = [(name, re.compile(r"\b(?:" + "|".join(re.escape(fold(p)) for p in sorted(
            phrases, key=len, reverse=True)) + r")\b")) for name, phrases in PHRASES.items()]

    def find(self, p: Prepared) -> list[tuple[Any, str, int]]:
        text = p.folded
        return [(name, m.group(0), m.start()) for name, rx in self.patterns for m in rx.finditer(text)]


class _RegexBrands:
    """The baseline's brand test: one compiled regular expression per brand (names, aliases, tags)."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.patterns = []
        for b in watchlist.brands:
            terms = [(t, "name") for t in [b.name]] + [(a, "alias") for a in b.aliases] + [
                (h, "hashtag") for h in b.hashtags]
            alts = "|".join(f"(?P<t{i}>{re.escape(fold(t))})" for i, (t, _) in enumerate(terms))
            self.patterns.append((b.name, terms, re.compile(rf"(?<!\w)(?:{alts})(?!\w)")))

    def find(self, p: Prepared | str) -> list[BrandMatch]:
        text = p.folded if isinstance(p, Prepared) else fold(p)
        out = []
        for brand, terms, rx in self.patterns:
            m = rx.search(text)
            if m:
                term, fld = terms[int(m.lastgroup[1:])]
                out.append(BrandMatch(brand, term, fld, "exact", m.group(0)))
        return out


def _fold_only(text: str) -> Prepared:
    """The baseline's preparation: folding only (no skeleton, leetspeak or word offsets)."""
    return Prepared(text, [], "", [], frozenset(), fold(text), "")


def baseline_context() -> Context:
    """A context in which the scams detector runs with the baseline's regexes and folding."""
    ctx = Context.ephemeral(watchlist=WATCHLIST)
    rules = ScamRules(WATCHLIST)
    rules.phrases, rules.brands = _RegexPhrases(), _RegexBrands(WATCHLIST)  # type: ignore[assignment]
    rules.prepare = _fold_only
    ctx.memo("scams.rules", lambda wl: rules)  # the detector then finds the baseline's rules
    return ctx


def _rate(items: list[Post], fn) -> float:
    """Posts per second of CPU time (this process only: other load on the machine does not count)."""
    fn(items[:200])  # warm caches (compiled state, lru caches)
    best = 0.0
    for _ in range(3):
        start = time.process_time()
        fn(items)
        best = max(best, len(items) / (time.process_time() - start))
    return best


def run() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    items = posts()
    detector = get("scams")
    ctx = Context.ephemeral(watchlist=WATCHLIST)

    def detect_all(batch: list[Post]) -> int:
        return sum(len(detector.detect(p, ctx)) for p in batch)

    ours = _rate(items, detect_all)
    found = detect_all(items)

    base_ctx = baseline_context()

    def baseline_all(batch: list[Post]) -> int:
        return sum(len(detector.detect(p, base_ctx)) for p in batch)

    base = _rate(items, baseline_all)
    base_found = baseline_all(items)

    # The matching step alone: brands and every signal's phrases in one post.
    ours_rules, texts = ScamRules.cached(ctx), [p.text for p in items]
    regex_phrases, regex_brands = _RegexPhrases(), _RegexBrands(WATCHLIST)

    def match_ours(batch: list[Post]) -> int:
        n = 0
        for t in texts[: len(batch)]:
            p = prepare(t)
            n += len(ours_rules.brands.find(p)) + len(ours_rules.phrases.find(p))
        return n

    def match_regex(batch: list[Post]) -> int:
        n = 0
        for t in texts[: len(batch)]:
            p = _fold_only(t)
            n += len(regex_brands.find(p)) + len(regex_phrases.find(p))
        return n

    m_ours, m_regex = _rate(items, match_ours), _rate(items, match_regex)
    section = "\n".join([
        "## scams",
        "",
        "| variant | posts/s (one core) | µs/post | findings on the 10,000 posts |",
        "| --- | ---: | ---: | ---: |",
        f"| detector (Aho-Corasick over normalised text) | {ours:,.0f} | {1e6 / ours:.0f} | {found} |",
        f"| baseline: one compiled regex per signal and per brand | {base:,.0f} | {1e6 / base:.0f} | {base_found} |",
        f"| matching only: normalise + one automaton pass | {m_ours:,.0f} | {1e6 / m_ours:.0f} | |",
        f"| matching only: fold + one regex per signal and per brand | {m_regex:,.0f} | {1e6 / m_regex:.0f} | |",
        "",
        f"Ratio: the detector runs at **{ours / base:.2f}×** the baseline's speed, and its matching step "
        f"at **{m_ours / m_regex:.2f}×** (target: ≥ 5,000 posts/s per core; measured {ours:,.0f}). "
        f"Posts: {N:,} generated (seeded), about a third scams, French "
        "and English, with phone numbers, links, hashtags and leetspeak. Both variants run the same "
        "detector (phone numbers, links, lookalike domains, scoring); the baseline swaps the normalisation "
        "(skeleton, leetspeak, word offsets) and the automaton for folding and one regex per signal "
        "and per brand, so it also misses the leetspeak, homoglyph and spacing tricks the automaton "
        "sees (hence fewer findings). Best of three runs, pinned "
        "to one core, timed in CPU time of the process (the machine is shared). "
        "Command: `make bench` (or `python -m benchmarks scams`).",
        "",
    ])
    return section


if __name__ == "__main__":
    print(run())
