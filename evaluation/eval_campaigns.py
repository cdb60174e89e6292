"""Campaigns: do incidents of one attack join one campaign, and nothing else?

Generated, seeded: scam campaigns (each its own phone number or landing domain, 2 to 15 accounts,
posts worded from six shared templates, so campaigns differ by their number or domain only), fake
support replies copied word for word to each victim (no number, no link: joined by near-duplicate
text alone), all using the same brand (so the brand alone must join nothing), lone scams, and
customers' warnings quoting a campaign's number (which must join nothing); plus impersonation
campaigns, one per protected person copied (the campaign is the identity copied,
by design). Every post goes through the real `scams` or `impersonation` detector, the real SQLite
store and `campaigns.join`, as a scan does.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import phonenumbers

from sentinelle import campaigns as camp
from sentinelle.alerting import plan
from sentinelle.detectors import Context, get
from sentinelle.model import Change, Post, Profile
from sentinelle.ports import Alert
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import Thresholds, load_watchlist

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LURES = [
    "-50% sur tout chez Maison Lumière aujourd'hui seulement ! Appelez le {phone} et donnez votre numéro de carte",
    "Bon de réduction Maison Lumière de 100 € : appelez vite le {phone} avec votre carte bancaire",
    "Maison Lumière giveaway! Call {phone} today and give your card number to claim your voucher",
    "#MaisonLumiere coupon -70% on everything, call {phone} now, card details needed to confirm",
    "Maison Lumière rembourse votre commande : confirmez sur {url} avec votre carte avant ce soir",
    "Your Maison Lumière refund is waiting: verify your card at {url} within 24 hours",
]
WARNINGS = [
    "Attention, arnaque : le {phone} n'est pas Maison Lumière, ne donnez jamais votre carte !",
    "PSA: the {phone} number pretending to be Maison Lumière is a scam, do not call it.",
]


def _phone(rng: random.Random) -> str:
    """A French mobile number in an allocated range (a scammer's number rings)."""
    while True:
        number = f"+33 {rng.choice('67')} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _domain(rng: random.Random) -> str:
    return f"lumiere-{rng.choice(['offres', 'remise', 'cadeau', 'promo', 'club'])}{rng.randint(10, 999)}.shop"


def corpus(seed: int = 18) -> tuple[list[Post | Profile], dict[str, str]]:
    """Items and, for each author, the true campaign ('' for none)."""
    rng = random.Random(seed)
    items: list[Post | Profile] = []
    truth: dict[str, str] = {}
    n = 0

    def post(author: str, text: str) -> Post:
        nonlocal n
        n += 1
        return Post(platform="x", id=str(n), author={"id": author, "handle": author}, text=text,
                    url=f"https://x.com/{author}/status/{n}")

    campaigns = []
    for c in range(40):
        by_phone = c % 2 == 0
        campaigns.append((f"scam-{c}", _phone(rng) if by_phone else None, None if by_phone else _domain(rng)))
    for name, phone, domain in campaigns:
        for a in range(rng.randint(2, 15)):
            author = f"{name}-acct{a}"
            truth[author] = name
            lures = [t for t in LURES if ("{phone}" in t) == bool(phone)]
            items.append(post(author, rng.choice(lures).format(phone=phone, url=f"https://{domain}/carte")))
    for t in range(12):  # fake support copied word for word to each victim: no number, no link
        name = f"copy-{t}"
        text = (f"Maison Lumière {rng.choice(['support', 'service client', 'help desk'])} here. "
                f"{rng.choice(['To get your refund', 'Pour votre remboursement', 'To unlock your order'])}, "
                f"{rng.choice(['message us on WhatsApp', 'écrivez-nous sur Telegram', 'DM us on Signal'])} "
                f"{rng.choice(['with your card number and the 3-digit code', 'avec votre numéro de carte et le code au dos'])}"
                f" {rng.choice(['today only', 'avant ce soir', 'within 24 hours', 'sans attendre'])} #{rng.randint(100, 999)}")
        for a in range(rng.randint(2, 10)):
            author = f"{name}-acct{a}"
            truth[author] = name
            items.append(post(author, f"@victim{rng.randint(1, 9999)} {text}{rng.choice(['', ' 🙏', '!!'])}"))
    for lone in range(60):  # lone scams: their own number each
        author = f"lone-{lone}"
        truth[author] = ""
        items.append(post(author, rng.choice(LURES[:4]).format(phone=_phone(rng))))
    for w in range(30):  # customers warning about a campaign's number
        _, phone, _ = rng.choice([c for c in campaigns if c[1]])
        author = f"customer-{w}"
        truth[author] = ""
        items.append(post(author, rng.choice(WARNINGS).format(phone=phone)))
    wl = load_watchlist(ROOT / "examples" / "demo" / "watchlist.yaml")
    for person in wl.people:
        for a in range(rng.randint(3, 8)):
            handle = f"{person.name.lower().replace(' ', '_')}_{a}{rng.choice(['', '_officiel', '_conseil'])}"
            truth[handle] = f"copies-{person.name}"
            items.append(Profile(platform="x", id=f"p{handle}", handle=handle, display_name=person.name,
                                 bio="Conseillère Lumière Patrimoine", followers=rng.randint(0, 40),
                                 links=[f"https://{_domain(rng)}/login"]))
    return items, truth


def _purity(clusters: list[list[str]], truth: dict[str, str]) -> tuple[float, float]:
    """(purity, completeness) over the members of campaigns with a true label."""
    members = [m for c in clusters for m in c]
    if not members:
        return 0.0, 0.0
    purity = sum(Counter(truth[m] for m in c).most_common(1)[0][1] for c in clusters) / len(members)
    by_true: dict[str, list[str]] = defaultdict(list)
    for a, t in truth.items():
        if t:
            by_true[t].append(a)
    where = {m: i for i, c in enumerate(clusters) for m in c}
    complete = sum(Counter(where.get(a, f"alone-{a}") for a in accts).most_common(1)[0][1]
                   for accts in by_true.values()) / sum(len(v) for v in by_true.values())
    return purity, complete


def text_threshold(seed: int = 7, pairs: int = 300) -> list[tuple[str, str]]:
    """How often two texts share a MinHash band (and so join), by how they differ."""
    rng = random.Random(seed)

    def rate(make: object) -> str:
        candidates = joined = 0
        for _ in range(pairs):
            a, b = (camp.text_signature(t) for t in make())  # type: ignore[operator]
            if a is None or b is None or not set(camp.bands(a)) & set(camp.bands(b)):
                continue
            candidates += 1
            joined += camp.similarity(a, b) >= camp.TEXT_MIN
        return f"{candidates / pairs:.1%} | {joined / pairs:.1%}"

    def lure() -> str:
        return rng.choice(LURES[:4]).format(phone=_phone(rng))

    def reply() -> str:
        return rng.choice(LURES[2:4]).format(phone=_phone(rng)) + " " + rng.choice(
            ["Offer valid while stocks last, terms apply, see you soon in our shops", "Merci et à bientôt"])

    def one_word(text: str) -> str:
        words = text.split()
        words[rng.randrange(len(words))] = rng.choice(["vite", "now", "bientôt", "today"])
        return " ".join(words)

    def another_number() -> tuple[str, str]:
        t = rng.choice(LURES[:4])
        return t.format(phone=_phone(rng)), t.format(phone=_phone(rng))

    return [
        ("a copy sent to another victim (@mention)", rate(lambda: (lambda t: (f"@a {t}", f"@b {t}"))(lure()))),
        ("a copy with one word changed, short lure (~20 words)", rate(lambda: (lambda t: (t, one_word(t)))(lure()))),
        ("a copy with one word changed, longer lure (~30 words)", rate(lambda: (lambda t: (t, one_word(t)))(reply()))),
        ("the same template with another phone number", rate(another_number)),
        ("two different templates", rate(lambda: (LURES[0].format(phone=_phone(rng)),
                                                  LURES[1].format(phone=_phone(rng))))),
    ]


def run() -> str:
    items, truth = corpus()
    wl = load_watchlist(ROOT / "examples" / "demo" / "watchlist.yaml")
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "eval.db")
        ctx = Context(watchlist=wl, hash_key=store.hash_key(), now=NOW)
        findings = [f for item in items for name in ("scams", "impersonation") for f in get(name).detect(item, ctx)
                    if get(name).applies(item, ctx)]
        recorded = store.record_many(findings, NOW)
        camp.join(store, [r.incident for r in recorded], NOW)
        found = camp.campaigns(store)
        handle = {r.incident.id: r.incident.subject.handle or "" for r in recorded}
        clusters = [[handle[m.id] for m in c.members] for c in found]
        reported = {handle[r.incident.id] for r in recorded if r.incident.severity.rank >= 2}
        warnings_joined = sum(1 for c in clusters for m in c if m.startswith("customer-"))
        warnings_reported = sum(1 for a in reported if a.startswith("customer-"))
        brand_only = sum(1 for c in clusters if len({truth[m] for m in c}) > 1)
        purity, completeness = _purity([c for c in clusters], truth)
        # Of the true campaigns' accounts the detector reported, how many ended in their campaign.
        reachable = {a: t for a, t in truth.items() if a in reported}
        _, completeness_reported = _purity(clusters, reachable)
        alerts = [Alert(str(i), r.incident, Change.new) for i, r in enumerate(recorded)]
        without = len(plan(alerts, Thresholds()).send)
        with_campaigns = len(plan(alerts, Thresholds(), lambda iid: camp.campaign_of(store, iid)).send)
        store.close()
    true_campaigns = len({t for t in truth.values() if t})
    rows = [
        ("true campaigns (scams by number, domain or copied words; impersonation by person copied)", f"{true_campaigns}"),
        ("campaigns found (two members or more)", f"{len(found)}"),
        ("purity (members in their campaign's majority)", f"{purity:.3f}"),
        ("completeness (accounts of a true campaign in its largest found part)", f"{completeness:.3f}"),
        ("completeness among the accounts the detectors reported", f"{completeness_reported:.3f}"),
        ("campaigns mixing two true campaigns (the brand alone must join nothing)", f"{brand_only}"),
        ("customers' warnings quoting a campaign's number: reported / joined", f"{warnings_reported} / {warnings_joined}"),
        ("alerts for the burst without campaigns → with campaigns", f"{without} → {with_campaigns} "
                                                                    f"({1 - with_campaigns / max(1, without):.0%} fewer)"),
    ]
    text_rows = text_threshold()
    return "\n".join([
        "## campaigns", "",
        __doc__.strip().split("\n\n", 1)[1].replace("\n", " "), "",
        f"{len(items)} items ({sum(isinstance(i, Post) for i in items)} posts, "
        f"{sum(isinstance(i, Profile) for i in items)} profiles), seed 18. Written with the joining rules, "
        "not tuned on: a check of the rules, not of the detectors. The set is ours and flatters the rules: one "
        "number or domain per campaign, every account reported. What it cannot show: a campaign that changes "
        "numbers mid-way splits in two; two attacks on one person are one campaign (by design); and a "
        "customer's warning stays out only because the scams detector does not report warnings at `medium` "
        "(none of the 30 here was), since a campaign takes indicators from reported scams only. Copied words "
        "join only near-verbatim copies (the table below): a copy with one word changed mostly stays apart.", "",
        "| measure | value |", "| --- | ---: |",
        *(f"| {k} | {v} |" for k, v in rows),
        "",
        f"Near-duplicate text (`campaigns.text_signature`: MinHash over word 3-shingles, @mentions left out; "
        f"{camp.BANDS} bands of {camp.ROWS} rows find candidates, which join when their signatures agree on "
        f"{camp.TEXT_MIN:.0%} of their values). How often two lures are candidates, and join, 300 seeded pairs "
        "each. The threshold was chosen on this set (so it flatters it). Copied words count only for scams that "
        "give nothing else to join on (no number, contact, domain, address or picture): one template run with "
        "many numbers is many campaigns, which text alone cannot tell from copies with a word changed (the "
        "third row); a first version that signed every scam's text chained a benchmark of 100,000 such posts "
        "into one campaign.", "",
        "| two texts | candidates | joined |", "| --- | ---: | ---: |",
        *(f"| {k} | {v} |" for k, v in text_rows),
    ])
