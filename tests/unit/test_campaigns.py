"""Campaigns (issue 18): which incidents give indicators, and how incidents join, grow and merge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from sentinelle import campaigns as camp
from sentinelle.model import Finding, Incident, Severity, Subject

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
KEY = b"k" * 32


class Memory:
    """The small state both stores keep (KeyValueStore), in a dict."""

    def __init__(self) -> None:
        self.kv: dict[tuple[str, str], str] = {}

    def get_value(self, namespace: str, key: str) -> str | None:
        return self.kv.get((namespace, key))

    def put_value(self, namespace: str, key: str, value: str, now: datetime) -> None:
        self.kv[(namespace, key)] = value

    def update_value(self, namespace: str, key: str, change: Any, now: datetime) -> str:
        self.kv[(namespace, key)] = value = change(self.kv.get((namespace, key)))
        return value

    def values(self, namespace: str) -> Iterator[tuple[str, str]]:
        yield from sorted((k, v) for (n, k), v in self.kv.items() if n == namespace)

    def hash_key(self) -> bytes:
        return KEY


def incident(n: int, evidence: dict, *, detector: str = "scams", severity: Severity = Severity.high,
             at: datetime = T0) -> Incident:
    f = Finding(detector=detector, kind="brand_scam" if detector == "scams" else "person_impersonation",
                severity=severity, score=80, reasons=["why"], evidence=evidence,
                subject=Subject(platform="x", kind="account", id=f"acct{n}", handle=f"acct{n}"))
    return Incident.from_finding(f, at)


def scam(n: int, phones=(), links=(), **kw: Any) -> Incident:
    return incident(n, {"phones": list(phones), "links": list(links), "crypto_addresses": []}, **kw)


def test_scam_indicators_hash_phone_numbers_and_skip_links_that_say_nothing():
    inc = scam(1, phones=["+33756789012"], links=[
        {"domain": "lumiere-deals.shop", "status": "unrelated"},
        {"domain": "bit.ly", "status": "shortener"},
        {"domain": "maisonlumiere.fr", "status": "official"},
        {"domain": "youtube.com", "status": "unrelated"},  # everyone links there
    ])
    found = {i.kind: i for i in camp.indicators(inc, KEY)}
    assert set(found) == {"phone", "domain"}
    assert "33756789012" not in found["phone"].key and found["phone"].shown.endswith("12")
    assert "756789" not in found["phone"].shown
    assert found["domain"].key == "domain:lumiere-deals.shop"
    # Another key hashes the same number differently (the store's own key).
    assert camp.indicators(inc, b"o" * 32)[0].key != found["phone"].key


def test_no_indicators_from_leaks_namesakes_or_reports_below_medium():
    assert camp.indicators(scam(1, phones=["+33756789012"], severity=Severity.low), KEY) == []
    assert camp.indicators(incident(2, {"phones": ["+33756789012"]}, detector="leaks"), KEY) == []
    namesake = incident(3, {"identity": "Claire Dubois", "identity_kind": "person"}, detector="impersonation",
                        severity=Severity.low)
    assert camp.indicators(namesake, KEY) == []


def test_impersonations_join_on_the_identity_copied_and_describe_the_lookalikes():
    store = Memory()
    copies = [incident(n, {"identity": "Claire Dubois", "identity_kind": "person", "lookalike_links": (
        [{"domain": f"lumiere-login{n}.fr", "imitates": "lumiere-patrimoine.fr"}] if n < 5 else [])},
        detector="impersonation") for n in range(6)]
    camp.join(store, copies, T0)
    (c,) = camp.campaigns(store)
    assert len(c.members) == 6
    assert c.title == "6 accounts copying Claire Dubois, 5 linking to lookalikes of lumiere-patrimoine.fr"


def test_a_shared_phone_joins_and_a_shared_brand_does_not():
    store = Memory()
    camp.join(store, [scam(1, phones=["+33756789012"]), scam(2, phones=["+33756789012"]),
                      scam(3, phones=["+33611111111"]), scam(4), scam(5)], T0)
    (c,) = camp.campaigns(store)
    assert sorted(m.handle for m in c.members) == ["acct1", "acct2"]
    assert c.title == "2 accounts around the phone number ••••••••12"
    assert camp.campaign_of(store, scam(3).id) is not None  # a campaign of one: kept, not listed
    assert camp.campaign_of(store, scam(4).id) is None  # no indicator: no campaign


def test_an_incident_bridging_two_campaigns_merges_them_into_the_oldest():
    store = Memory()
    camp.join(store, [scam(1, phones=["+33756789012"]), scam(2, phones=["+33756789012"])], T0)
    later = T0 + timedelta(hours=1)
    camp.join(store, [scam(3, links=[{"domain": "lumiere-deals.shop", "status": "unrelated"}], at=later),
                      scam(4, links=[{"domain": "lumiere-deals.shop", "status": "unrelated"}], at=later)], later)
    assert len(camp.campaigns(store)) == 2
    bridge = scam(5, phones=["+33756789012"], links=[{"domain": "lumiere-deals.shop", "status": "unrelated"}],
                  at=later + timedelta(hours=1))
    camp.join(store, [bridge], later + timedelta(hours=1))
    (c,) = camp.campaigns(store)
    assert sorted(m.handle for m in c.members) == ["acct1", "acct2", "acct3", "acct4", "acct5"]
    assert c.first_seen == T0 and any(e.event == "merged" for e in c.timeline)
    for n in (1, 3, 5):  # every member and indicator now leads to the one campaign
        assert camp.campaign_of(store, scam(n).id).id == c.id
    # A later incident with only the second campaign's domain joins the merged one.
    camp.join(store, [scam(6, links=[{"domain": "lumiere-deals.shop", "status": "unrelated"}])], later)
    assert len(camp.campaigns(store)[0].members) == 6


def test_joining_again_changes_nothing_but_the_members_state():
    store = Memory()
    a, b = scam(1, phones=["+33756789012"]), scam(2, phones=["+33756789012"])
    camp.join(store, [a, b], T0)
    before = camp.campaigns(store)[0]
    camp.join(store, [a.model_copy(update={"severity": Severity.critical})], T0 + timedelta(hours=2))
    after = camp.campaigns(store)[0]
    assert len(after.members) == 2 and after.severity is Severity.critical and after.id == before.id
    assert [e.event for e in after.timeline] == ["joined", "joined"]


def test_ids_resolve_by_unique_prefix():
    store = Memory()
    camp.join(store, [scam(1, phones=["+33756789012"]), scam(2, phones=["+33756789012"])], T0)
    c = camp.campaigns(store)[0]
    assert camp.resolve(store, c.id[:6]).id == c.id
    try:
        camp.resolve(store, "zz")
    except LookupError as exc:
        assert "no campaign" in str(exc)
    else:
        raise AssertionError("an unknown prefix must not resolve")


# -- alerts: a campaign's later members page no one, but for one follow-up at 3, 10, 50 --------

def test_a_campaign_alerts_its_first_member_then_once_at_each_size():
    from sentinelle.alerting import plan
    from sentinelle.model import Change
    from sentinelle.ports import Alert
    from sentinelle.watchlist import Thresholds

    store = Memory()
    members = [scam(n, phones=["+33756789012"]) for n in range(1, 12)]
    camp.join(store, members, T0)
    order = [m.id for m in camp.campaigns(store)[0].members]
    alerts = [Alert(str(i), inc, Change.new) for i, inc in enumerate(members)]
    out = plan(alerts, Thresholds(digest_after=100), lambda iid: camp.campaign_of(store, iid))
    sent = sorted(order.index(a.incident.id) + 1 for a in out.send)
    assert sent == [1, 3, 10] and len(out.quiet) == 8
    follow_up = next(a for a in out.send if order.index(a.incident.id) == 2)
    assert follow_up.incident.evidence["campaign"]["members"] == 3
    # Without campaigns (or when they cannot be read) every new incident alerts, as before.
    assert len(plan(alerts, Thresholds(digest_after=100)).send) == 11

    def broken(_: str) -> None:
        raise OSError("table unreachable")

    assert len(plan(alerts, Thresholds(digest_after=100), broken).send) == 11
    # An escalation of a later member still alerts: it is news about that account.
    escalated = Alert("e", next(m for m in members if m.id == order[1]), Change.escalated)
    assert plan([escalated], Thresholds(), lambda iid: camp.campaign_of(store, iid)).send


# -- near-duplicate text: copies join, a template with another number does not ------------------

LURE = ("Maison Lumière support here. To get your refund, message us on WhatsApp with your card number "
        "and the 3-digit code on the back, today only")


def test_copied_words_join_without_a_number_or_a_link():
    store = Memory()
    copies = [scam(n, severity=Severity.high).model_copy(update={"evidence": {"excerpt": f"@client{n} {LURE}"}})
              for n in range(4)]
    camp.join(store, copies, T0)
    (c,) = camp.campaigns(store)
    assert len(c.members) == 4 and c.title == "4 accounts posting the same words"


def test_a_shared_template_with_another_number_is_another_campaign():
    a = "-50% sur tout chez Maison Lumière aujourd'hui seulement ! Appelez le {} et donnez votre numéro de carte"
    left, right = camp.text_bands(a.format("+33 6 12 34 56 78")), camp.text_bands(a.format("+33 6 98 76 54 32"))
    assert left and right and not set(left) & set(right)
    assert camp.text_bands("Appelez le +33 6 12 34 56 78") == []  # too short to say who wrote it


def test_the_same_picture_reposted_joins():
    store = Memory()
    flyers = [scam(n).model_copy(update={"evidence": {"picture": {"which": "image 1 of 1, read by OCR",
                                                                  "phash": "c3c3e1f0f8fcfeff"}}}) for n in range(3)]
    camp.join(store, flyers, T0)
    (c,) = camp.campaigns(store)
    assert len(c.members) == 3 and c.title == "3 accounts posting the same picture"


def test_messaging_contacts_join_and_a_whatsapp_number_is_a_phone_number():
    store = Memory()
    tg = [scam(n, links=[{"url": "https://t.me/Lumiere_Remboursement", "domain": "t.me", "status": "messaging"}])
          for n in range(2)]
    other = scam(9, links=[{"url": "https://t.me/someone_else", "domain": "t.me", "status": "messaging"}])
    wa = scam(5, links=[{"url": "https://wa.me/33756789012", "domain": "wa.me", "status": "messaging"}])
    called = scam(6, phones=["+33756789012"])
    camp.join(store, [*tg, other, wa, called], T0)
    found = {c.title: sorted(m.handle for m in c.members) for c in camp.campaigns(store)}
    assert found == {"2 accounts sending people to t.me/lumiere_remboursement": ["acct0", "acct1"],
                     "2 accounts around the phone number ••••••••12": ["acct5", "acct6"]}


def test_the_scams_detector_keeps_who_to_write_to():
    from sentinelle.detectors import Context, get
    from sentinelle.model import Post
    from sentinelle.watchlist import parse_watchlist

    wl = parse_watchlist({"organization": "Acme", "brands": [{"name": "Maison Lumière", "domains": ["maisonlumiere.fr"]}]})
    post = Post(platform="x", id="1", author={"id": "9", "handle": "lumiere_help"},
                text="Maison Lumière remboursement : envoyez votre numéro de carte sur https://t.me/lumiere_rembourse")
    (finding,) = get("scams").detect(post, Context.ephemeral(wl))
    assert {"url": "https://t.me/lumiere_rembourse", "domain": "t.me", "status": "messaging"} in finding.evidence["links"]


def test_a_text_candidate_joins_only_when_the_signatures_agree():
    """Band collisions between texts of one template with other numbers must not chain campaigns."""
    store = Memory()
    base = "Maison Lumière offre spéciale : appelez le {} et donnez votre numéro de carte pour le bon de 100 euros"
    first = scam(1).model_copy(update={"evidence": {"excerpt": base.format("+33 6 12 34 56 78")}})
    camp.join(store, [first], T0)
    sig = camp.text_signature(base.format("+33 6 12 34 56 78"))
    # Force a band collision with an unlike text: its pointer is not followed.
    unlike = "Your parcel is waiting: confirm the delivery fee today at the post office counter near you please"
    other = scam(2).model_copy(update={"evidence": {"excerpt": unlike}})
    bands_other = camp.text_bands(unlike)
    store.put_value(camp.POINTERS, f"text:0:{bands_other[0]}", f"{camp.campaign_of(store, first.id).id}|{first.id}", T0)
    camp.join(store, [other], T0)
    assert camp.campaign_of(store, other.id).id != camp.campaign_of(store, first.id).id
    assert sig is not None and camp.similarity(sig, sig) == 1.0


def test_a_huge_campaign_stays_a_small_item(monkeypatch):
    from sentinelle.alerting import plan
    from sentinelle.model import Change
    from sentinelle.ports import Alert
    from sentinelle.watchlist import Thresholds

    monkeypatch.setattr(camp, "KEEP_MEMBERS", 3)
    store = Memory()
    bots = [scam(n, phones=["+33756789012"]) for n in range(8)]
    camp.join(store, bots, T0)
    camp.join(store, bots[:2], T0)  # members again (an escalation): counted once
    (c,) = camp.campaigns(store)
    assert (c.size, len(c.members), c.indicators[0].count, len(c.indicators[0].members)) == (8, 3, 8, 3)
    assert c.title.startswith("8 accounts around the phone number")
    out = plan([Alert(str(n), b, Change.new) for n, b in enumerate(bots)], Thresholds(),
               lambda iid: camp.campaign_of(store, iid))
    assert len(out.send) == 2  # the first and the third; those past the kept members are quiet


def test_two_workers_opening_a_campaign_on_one_indicator_end_in_one():
    """Worker A read the indicator's pointer before worker B claimed it: A's claim finds B's
    campaign, and A joins it instead of keeping a campaign of its own."""

    class StaleOnce(Memory):
        stale = True

        def get_value(self, namespace: str, key: str) -> str | None:
            if namespace == camp.POINTERS and self.stale:
                self.stale = False
                return None  # what A read before B's write landed
            return super().get_value(namespace, key)

    store = StaleOnce()
    b = scam(2, phones=["+33756789012"], at=T0 - timedelta(minutes=1))
    store.stale = False
    camp.join(store, [b], T0)  # worker B, first
    store.stale = True
    a = scam(1, phones=["+33756789012"])
    camp.join(store, [a], T0)  # worker A, with a stale read
    (c,) = camp.campaigns(store)
    assert sorted(m.handle for m in c.members) == ["acct1", "acct2"]
    assert camp.campaign_of(store, a.id).id == camp.campaign_of(store, b.id).id == c.id
