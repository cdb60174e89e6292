"""Campaigns: one attack across many accounts is one thing to triage and take down.

An incident about a scam or an impersonation (at `medium` or above: namesakes and customers'
warnings are not scams) gives **indicators**: the phone numbers it asks people to call, the
registrable domains it links to (not the brand's, not link shorteners or well-known sites), the
crypto addresses it gives, and the protected identity it copies. Incidents that share one join
one campaign, incrementally as they are recorded (`join`, called by the pipeline after each
write): each indicator points to its campaign (a union-find whose sets are merged when a new
incident bridges two of them), on both stores through their small key-value state (`values`,
`get_value`, `update_value`: a Query on one partition on DynamoDB, never a Scan).

Sensitive indicators are kept keyed-hashed (phone numbers, with the store's hash key) and shown
masked; domains, crypto addresses and the identity copied are public and shown as they are.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from pydantic import BaseModel, Field

from sentinelle.hashkey import keyed_hash
from sentinelle.masking import mask
from sentinelle.model import Incident, Severity
from sentinelle.ports import KeyValueStore
from sentinelle.signals.domains import well_known
from sentinelle.text.normalize import tokens

CAMPAIGNS, POINTERS, MEMBERS = "campaign", "campaign-indicator", "campaign-member"
TEXTS = "campaign-text"  # a scam incident's MinHash signature, to check a text candidate against
# Campaigns of two members or more, again: what a list reads (one Query), without the many
# one-incident campaigns every lone scam opens in case a second one shares its indicators.
LISTED = "campaign-listed"
MIN_MEMBERS = 2  # a campaign of one incident is that incident: listed from two members
# A campaign item stays small whatever the attack's size (DynamoDB items hold 400 KB): it keeps its
# first members, its most shared indicators and its first events, and counts the rest. Joining
# never reads these lists: the pointers (one item per indicator and per member) are the index.
KEEP_MEMBERS, KEEP_INDICATORS, KEEP_EVENTS = 200, 100, 200
ATTACKS = ("scams", "impersonation")  # leaks are the organisation's own posts, never a campaign
_NOT_JOINING = ("official", "shortener")  # a link to the brand or to bit.ly says nothing about who posted it


class Indicator(BaseModel):
    key: str  # what joins incidents ("phone:<keyed hash>", "domain:acme-login.com", ...)
    kind: str  # phone | contact | domain | crypto | identity | picture | text | imitates
    shown: str  # what a person reads, masked where sensitive
    joins: bool = True  # `imitates` (which official domain the lookalikes copy) describes, never joins
    members: list[str] = Field(default_factory=list)  # the first KEEP_MEMBERS sharing it
    count: int = 0  # how many members share it
    signature: list[int] | None = Field(default=None, exclude=True)  # text: checked on joining, kept apart


class Member(BaseModel):
    id: str  # the incident's id
    detector: str
    kind: str
    severity: Severity
    platform: str
    handle: str | None = None
    joined_at: datetime


class Event(BaseModel):
    at: datetime
    incident: str
    event: str  # joined | merged


class Campaign(BaseModel):
    id: str
    title: str = ""
    severity: Severity = Severity.info
    first_seen: datetime
    last_seen: datetime
    members: list[Member] = Field(default_factory=list)  # the first KEEP_MEMBERS to join
    size: int = 0  # how many incidents joined (members beyond KEEP_MEMBERS counted only)
    indicators: list[Indicator] = Field(default_factory=list)
    timeline: list[Event] = Field(default_factory=list)
    merged_into: str | None = None  # a campaign another incident joined to an older one

    def summary(self) -> dict[str, Any]:
        """What a list shows: everything but the members' and indicators' details."""
        return {"id": self.id, "title": self.title, "severity": self.severity.value, "members": self.size,
                "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(),
                "indicators": [i.shown for i in self.indicators if i.joins]}


class KeyValues(KeyValueStore, Protocol):
    """What campaigns need of a store: its small state, and the key that hashes phone numbers."""

    def hash_key(self) -> bytes: ...


# -- indicators -----------------------------------------------------------------------------------

def _contact(url: str) -> str | None:
    """"t.me/lumiere_deals" from a messaging link, or "+33612345678" for a WhatsApp number."""
    from urllib.parse import urlsplit

    parts = urlsplit(url if "//" in url else f"https://{url}")
    segment = parts.path.strip("/").split("/")[0].lower() if parts.path else ""
    if parts.hostname in ("api.whatsapp.com", "whatsapp.com") and "phone=" in (parts.query or ""):
        segment = parts.query.split("phone=", 1)[1].split("&")[0]
    if not segment or segment in ("joinchat", "s", "c", "send"):
        return None
    digits = segment.lstrip("+")
    if digits.isdigit() and 8 <= len(digits) <= 15:
        return f"+{digits}"
    return f"{(parts.hostname or '').removeprefix('www.')}/{segment}"


def indicators(incident: Incident, hash_key: bytes) -> list[Indicator]:
    """The indicators an incident gives (none for leaks, sources, or below `medium`)."""
    if incident.detector not in ATTACKS or incident.severity < Severity.medium:
        return []
    out: dict[str, Indicator] = {}

    def add(key: str, kind: str, shown: str, joins: bool = True) -> None:
        out.setdefault(key, Indicator(key=key, kind=kind, shown=shown, joins=joins))

    def add_phone(number: str) -> None:  # a stranger's number: indexed by its keyed hash, shown masked
        add(f"phone:{keyed_hash(hash_key, number)}", "phone", mask("phone_number", number))

    evidences = [incident.evidence, *(f.evidence for f in incident.findings)]
    for ev in evidences:
        for phone in ev.get("phones") or ():
            if isinstance(phone, str) and phone.startswith("+"):
                add_phone(phone)
        for link in [*(ev.get("links") or ()), *(ev.get("lookalike_links") or ())]:
            if not isinstance(link, dict) or not link.get("domain") or link.get("status") in _NOT_JOINING:
                continue
            if link.get("status") == "messaging":  # the handle or number to write to, not the platform
                contact = _contact(str(link.get("url") or ""))
                if contact and contact.startswith("+"):
                    add_phone(contact)
                elif contact:
                    add(f"contact:{contact}", "contact", contact)
                continue
            if well_known(str(link["domain"])):
                continue
            add(f"domain:{link['domain']}", "domain", str(link["domain"]))
            target = link.get("imitates") or link.get("target")
            if target:
                add(f"imitates:{target}", "imitates", str(target), joins=False)
        for address in ev.get("crypto_addresses") or ():
            value = address.get("address") if isinstance(address, dict) else address
            if isinstance(value, str) and value:
                add(f"crypto:{value}", "crypto", value)
        picture = ev.get("picture")
        if isinstance(picture, dict) and picture.get("phash"):  # the same flyer, whoever reposts it
            add(f"picture:{picture['phash']}", "picture", f"the same picture (perceptual hash {picture['phash']})")
        if ev.get("identity"):
            kind = ev.get("identity_kind") or "identity"
            add(f"identity:{kind}:{ev['identity']}", "identity", str(ev["identity"]))
    # Copied words join only scams that give nothing else to join on (a fake support reply that
    # says "message us on WhatsApp" and no more): when a scam names a number, a contact, a domain,
    # an address or a picture, that is what its campaign is, and one template run with many numbers
    # is many campaigns, which text alone cannot tell from copies with a word changed.
    if incident.detector == "scams" and not any(i.joins for i in out.values()):
        for ev in evidences:
            excerpt = ev.get("excerpt")
            sig = text_signature(excerpt) if isinstance(excerpt, str) else None
            if sig is not None:
                keys = bands(sig)
                for band, key in enumerate(keys):
                    add(f"text:{band}:{key}", "text", "the same words, copied")
                out[f"text:0:{keys[0]}"].signature = sig
                break
    return list(out.values())


# -- near-duplicate text ------------------------------------------------------------------------
# MinHash over the words' 3-shingles, cut into bands: two texts share a band when every one of its
# rows agrees (probability J**ROWS per band for texts of Jaccard similarity J). A shared band only
# makes a candidate: it joins when the two signatures agree on TEXT_MIN of their values (the
# estimated Jaccard similarity), checked against the text that set the band's pointer. Without
# that check rare band collisions between texts of one template with different numbers would, over
# a hundred thousand incidents, chain unrelated campaigns into one.
BANDS, ROWS = 8, 8
TEXT_MIN = 0.8  # estimated Jaccard similarity of two texts that join (measured in the evaluation)
MIN_WORDS = 8  # texts with fewer words (numbers aside) are too common to say who wrote them
_PRIME = (1 << 61) - 1


def _permutations() -> list[tuple[int, int]]:
    rng = random.Random(20261204)  # fixed: every store and worker computes the same signature
    return [(rng.randrange(1, _PRIME), rng.randrange(0, _PRIME)) for _ in range(BANDS * ROWS)]


_PERMUTATIONS = _permutations()


_ADDRESSED = re.compile(r"(?<![\w/])@[\w.@-]+")


def text_signature(text: str) -> list[int] | None:
    """`text`'s MinHash signature (None for a short text). @mentions are left out: a copy is
    addressed to each victim in turn. Numbers and links stay: the same words with another number or
    landing page are another campaign's, as the evaluation's shared templates show."""
    words = tokens(_ADDRESSED.sub(" ", text))
    if sum(1 for w in words if not w.isdigit()) < MIN_WORDS:
        return None
    shingles = {int.from_bytes(hashlib.blake2b(" ".join(words[i:i + 3]).encode(), digest_size=8).digest(), "big")
                for i in range(len(words) - 2)}
    return [min((a * s + b) % _PRIME for s in shingles) for a, b in _PERMUTATIONS]


def bands(signature: list[int]) -> list[str]:
    return [hashlib.blake2b(repr(signature[i * ROWS:(i + 1) * ROWS]).encode(), digest_size=8).hexdigest()
            for i in range(BANDS)]


def similarity(a: list[int], b: list[int]) -> float:
    """The share of equal MinHash values: an estimate of the two texts' Jaccard similarity."""
    return sum(x == y for x, y in zip(a, b)) / max(1, len(a))


def text_bands(text: str) -> list[str]:
    """The band keys of `text` (none for a short text)."""
    sig = text_signature(text)
    return bands(sig) if sig is not None else []


# -- joining --------------------------------------------------------------------------------------

def campaign_id(first_incident: str) -> str:
    """Deterministic: two workers opening a campaign for the same incident open the same one."""
    return hashlib.sha256(f"campaign:{first_incident}".encode()).hexdigest()[:24]


def load(store: KeyValues, cid: str) -> Campaign | None:
    raw = store.get_value(CAMPAIGNS, cid)
    return Campaign.model_validate_json(raw) if raw else None


def _root(store: KeyValues, cid: str) -> Campaign | None:
    """The campaign `cid` now belongs to, following merges (union-find's find)."""
    seen: set[str] = set()
    c = load(store, cid)
    while c is not None and c.merged_into and c.id not in seen:
        seen.add(c.id)
        c = load(store, c.merged_into)
    return c


def _add(c: Campaign, incident: Incident, found: list[Indicator], now: datetime, known: bool) -> None:
    """`known`: the incident is already a member (its pointer says so), kept in the lists or not."""
    members = {m.id: m for m in c.members}
    is_new = not known and incident.id not in members
    if incident.id in members or len(members) < KEEP_MEMBERS:
        members[incident.id] = Member(id=incident.id, detector=incident.detector, kind=incident.kind,
                                      severity=incident.severity, platform=incident.platform,
                                      handle=incident.subject.handle,
                                      joined_at=members[incident.id].joined_at if incident.id in members else now)
    c.members = sorted(members.values(), key=lambda m: (m.joined_at, m.id))
    c.size = max(c.size + is_new, len(c.members))
    by_key = {i.key: i for i in c.indicators}
    for ind in found:
        held = by_key.setdefault(ind.key, ind.model_copy(update={"members": [], "count": 0}))
        if is_new:
            held.count += 1
        if incident.id not in held.members and len(held.members) < KEEP_MEMBERS:
            held.members.append(incident.id)
        held.count = max(held.count, len(held.members))
    c.indicators = sorted(by_key.values(), key=lambda i: (-i.count, i.key))[:KEEP_INDICATORS]
    if is_new and len(c.timeline) < KEEP_EVENTS:
        c.timeline.append(Event(at=now, incident=incident.id, event="joined"))
    c.first_seen = min(c.first_seen, incident.first_seen)
    c.last_seen = max(c.last_seen, incident.last_seen)
    c.severity = max((c.severity, incident.severity), key=lambda s: s.rank)
    c.title = title(c)


def _absorb(root: Campaign, other: Campaign, now: datetime) -> None:
    members = {m.id: m for m in root.members}
    for m in other.members:
        members.setdefault(m.id, m)
    root.members = sorted(members.values(), key=lambda m: (m.joined_at, m.id))[:KEEP_MEMBERS]
    root.size = max(root.size, len(root.members)) + max(other.size, len(other.members))
    by_key = {i.key: i for i in root.indicators}
    for ind in other.indicators:
        held = by_key.setdefault(ind.key, ind.model_copy(update={"members": [], "count": 0}))
        held.count = max(held.count, len(held.members)) + max(ind.count, len(ind.members))
        held.members = sorted({*held.members, *ind.members})[:KEEP_MEMBERS]
    root.indicators = sorted(by_key.values(), key=lambda i: (-i.count, i.key))[:KEEP_INDICATORS]
    root.timeline = sorted([*root.timeline, *other.timeline, Event(at=now, incident=other.id, event="merged")],
                           key=lambda e: e.at)[:KEEP_EVENTS]
    root.first_seen, root.last_seen = min(root.first_seen, other.first_seen), max(root.last_seen, other.last_seen)
    root.severity = max((root.severity, other.severity), key=lambda s: s.rank)
    root.title = title(root)


def join(store: KeyValues, incidents: Iterable[Incident], now: datetime) -> list[str]:
    """Put each incident into its campaign (opening, growing or merging campaigns); returns the ids
    of the campaigns touched. An incident without indicators is left alone."""
    key = store.hash_key()
    touched = []
    for incident in incidents:
        found = indicators(incident, key)
        if any(i.joins for i in found):
            touched.append(_join_one(store, incident, found, now))
    return touched


def _join_one(store: KeyValues, incident: Incident, found: list[Indicator], now: datetime,
              retried: bool = False) -> str:
    raced: list[str] = []
    roots: dict[str, Campaign] = {}
    sig = next((i.signature for i in found if i.signature is not None), None)
    pointers: dict[str, str | None] = {}
    unverified: set[str] = set()  # text bands another text set, too unlike this one to join
    for i in found:
        if not i.joins:
            continue
        raw = store.get_value(POINTERS, i.key)
        if raw and i.kind == "text":
            raw, _, source = raw.partition("|")
            theirs = store.get_value(TEXTS, source) if source and source != incident.id else None
            if source != incident.id and (sig is None or theirs is None
                                          or similarity(sig, json.loads(theirs)) < TEXT_MIN):
                unverified.add(i.key)
                continue
        pointers[i.key] = raw
    member_of = store.get_value(MEMBERS, incident.id)
    for cid in {*pointers.values(), member_of}:
        root = _root(store, cid) if cid else None
        if root is not None:
            roots[root.id] = root
    ordered = sorted(roots.values(), key=lambda c: (c.first_seen, c.id))
    cid = ordered[0].id if ordered else campaign_id(incident.id)
    others = ordered[1:]  # bridged by this incident: merged into the oldest

    def change(raw: str | None) -> str:
        c = Campaign.model_validate_json(raw) if raw else Campaign(
            id=cid, first_seen=incident.first_seen, last_seen=incident.last_seen)
        for other in others:
            _absorb(c, other, now)
        _add(c, incident, found, now, known=member_of is not None)
        return c.model_dump_json()

    written = store.update_value(CAMPAIGNS, cid, change, now)
    merged = Campaign.model_validate_json(written)
    if merged.size >= MIN_MEMBERS:
        store.put_value(LISTED, cid, written, now)
    moved = {m.id for o in others for m in o.members}
    for other in others:  # the merged campaigns point to the one they joined
        gone = store.update_value(CAMPAIGNS, other.id, partial(_merged, into=cid), now)
        if other.size >= MIN_MEMBERS:
            store.put_value(LISTED, other.id, gone, now)
    # Pointers that lead elsewhere: this incident's new ones, and the merged campaigns' (read above
    # for this incident's own; a merged campaign's all lead to it, not here).
    others_keys = {i.key for o in others for i in o.indicators if i.joins and i.kind != "text"}
    if sig is not None:
        store.put_value(TEXTS, incident.id, json.dumps(sig), now)
    for ind in merged.indicators:
        if not ind.joins or ind.key in unverified:
            continue
        if ind.kind == "text":  # a merged campaign's bands still lead here through its merged_into
            if ind.key in pointers and (pointers[ind.key] or "").partition("|")[0] != cid:
                store.put_value(POINTERS, ind.key, f"{cid}|{incident.id}", now)
        elif ind.key in pointers and pointers[ind.key] is None:
            # A new indicator: claimed only if no one claimed it since it was read. Two workers
            # opening campaigns on one indicator at once: the second finds the first's and joins it.
            if store.update_value(POINTERS, ind.key, partial(_claim, cid=cid), now) != cid:
                raced.append(ind.key)
        elif ind.key in others_keys or (ind.key in pointers and pointers[ind.key] != cid):
            store.put_value(POINTERS, ind.key, cid, now)
    if member_of != cid:
        store.put_value(MEMBERS, incident.id, cid, now)
    for m in merged.members:
        if m.id in moved:
            store.put_value(MEMBERS, m.id, cid, now)
    if raced and not retried:
        return _join_one(store, incident, found, now, retried=True)  # now bridging both: merged
    return cid


def _claim(old: str | None, cid: str) -> str:
    return old or cid


def _merged(raw: str | None, into: str) -> str:
    c = Campaign.model_validate_json(raw) if raw else None
    if c is None:
        raise ValueError("a merged campaign vanished")
    return c.model_copy(update={"merged_into": into}).model_dump_json()


# -- reading --------------------------------------------------------------------------------------

def campaigns(store: KeyValues) -> list[Campaign]:
    """Live campaigns (two members or more, not merged into another), most recent first."""
    out = [Campaign.model_validate_json(v) for _, v in store.values(LISTED)]
    live = [c for c in out if c.merged_into is None and c.size >= MIN_MEMBERS]
    return sorted(live, key=lambda c: (c.last_seen, c.id), reverse=True)


def campaign_of(store: KeyValues, incident_id: str) -> Campaign | None:
    cid = store.get_value(MEMBERS, incident_id)
    return _root(store, cid) if cid else None


def member_ids(store: KeyValues, campaign: Campaign) -> list[str]:
    """Every incident that joined `campaign`: its listed members, then those past the first
    KEEP_MEMBERS it lists, found by their member pointers (one partition read, only then)."""
    listed = [m.id for m in campaign.members]
    if campaign.size <= len(listed):
        return listed
    root_of: dict[str, str | None] = {}
    more: set[str] = set()
    for incident_id, cid in store.values(MEMBERS):
        if cid not in root_of:
            root = _root(store, cid)
            root_of[cid] = root.id if root else None
        if root_of[cid] == campaign.id:
            more.add(incident_id)
    return listed + sorted(more.difference(listed))


def resolve(store: KeyValues, given: str) -> Campaign:
    """A campaign by its id or any unique prefix of it (as incidents are); raises LookupError."""
    given = given.strip().lower()
    exact = _root(store, given) if len(given) == 24 else None
    if exact is not None:
        return exact
    found = [c for c in campaigns(store) if c.id.startswith(given)] if given else []
    if len(found) != 1:
        raise LookupError(f"no campaign {given!r}" if not found else f"{given!r} names {len(found)} campaigns")
    return found[0]


# -- what a person reads --------------------------------------------------------------------------

def title(c: Campaign) -> str:
    """ "6 accounts copying Claire Dubois, 5 linking to lookalikes of lumiere-patrimoine.fr" """
    accounts = len({(m.platform, m.handle or m.id) for m in c.members}) + max(0, c.size - len(c.members))
    noun = "account" if accounts == 1 else "accounts"
    joining = [i for i in c.indicators if i.joins]
    identity = next((i for i in joining if i.kind == "identity"), None)
    phone = next((i for i in joining if i.kind == "phone"), None)
    domain = next((i for i in joining if i.kind == "domain"), None)
    crypto = next((i for i in joining if i.kind == "crypto"), None)
    if identity is not None:
        head = f"{accounts} {noun} copying {identity.shown}"
    elif phone is not None:
        head = f"{accounts} {noun} around the phone number {phone.shown}"
    elif domain is not None:
        head = f"{accounts} {noun} linking to {domain.shown}"
    elif any(i.kind == "contact" for i in joining):
        head = f"{accounts} {noun} sending people to {next(i.shown for i in joining if i.kind == 'contact')}"
    elif crypto is not None:
        head = f"{accounts} {noun} asking for payment to {crypto.shown}"
    elif any(i.kind == "picture" for i in joining):
        head = f"{accounts} {noun} posting the same picture"
    elif any(i.kind == "text" for i in joining):
        head = f"{accounts} {noun} posting the same words"
    else:
        head = f"{accounts} {noun}"
    linking = {m for i in joining if i.kind == "domain" for m in i.members}
    linking_count = max(len(linking), sum(i.count for i in joining if i.kind == "domain") if len(linking) >= KEEP_MEMBERS else 0)
    if identity is not None and linking:
        targets = Counter(i.shown for i in c.indicators if i.kind == "imitates")
        where = (domain.shown if domain is not None and domain.count == linking_count else
                 f"lookalikes of {targets.most_common(1)[0][0]}" if targets else "other sites")
        head += f", {linking_count} linking to {where}"
    elif identity is None and phone is not None and domain is not None:
        head += f", {domain.count} linking to {domain.shown}"
    return head


__all__ = ["Campaign", "Indicator", "Member", "campaign_of", "campaigns", "indicators", "join", "resolve", "title"]
