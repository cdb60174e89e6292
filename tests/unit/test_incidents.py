"""The rules of an incident's life (sentinelle.incidents): merging, transitions, reopening, the allowlist."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.model import MAX_FINDINGS, Change, Finding, Incident, Severity, Status, Subject
from sentinelle.ports import InvalidTransition
from sentinelle.incidents import (
    TRANSITIONS,
    allow_key,
    apply_update,
    expiry,
    Allowlist,
    false_positive_entry,
    recorded_change,
    merge_finding,
    subject_allow_keys,
)
from sentinelle.store.common import ts
from sentinelle.watchlist import Watchlist

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SUBJECT = Subject(platform="mastodon", kind="account", id="x", handle="X")


def _finding(severity: Severity, score: int = 50) -> Finding:
    return Finding(detector="scams", kind="k", severity=severity, score=score, reasons=[severity.value],
                   subject=SUBJECT)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list(Severity)), min_size=1, max_size=30))
def test_merging_any_sequence(severities):
    incident, changes = None, []
    for i, sev in enumerate(severities):
        incident, change = merge_finding(incident, _finding(sev), T0 + timedelta(minutes=i))
        changes.append(change)
    assert changes[0] is Change.new and changes.count(Change.new) == 1
    assert incident.occurrences == len(severities)
    assert incident.severity == max(severities, key=lambda s: s.rank)
    assert len(incident.findings) == min(len(severities), MAX_FINDINGS)
    assert incident.last_seen == T0 + timedelta(minutes=len(severities) - 1) and incident.first_seen == T0
    # One escalation per strict rise of the running maximum, and an alert only then.
    rises, top = 0, severities[0]
    for sev in severities[1:]:
        if sev > top:
            rises, top = rises + 1, sev
    assert changes.count(Change.escalated) == rises
    assert sum(h.action == "escalated" for h in incident.history) == rises


def test_merge_does_not_touch_its_input():
    inc, _ = merge_finding(None, _finding(Severity.low), T0)
    before = inc.model_dump()
    merge_finding(inc, _finding(Severity.high), T0 + timedelta(hours=1))
    assert inc.model_dump() == before


def test_an_old_finding_does_not_move_last_seen_back():
    inc, _ = merge_finding(None, _finding(Severity.low), T0)
    inc, _ = merge_finding(inc, _finding(Severity.low), T0 - timedelta(days=1))
    assert inc.last_seen == T0


def test_every_status_reachable_and_every_closed_status_reopens():
    reached, todo = {Status.open}, [Status.open]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert reached == set(Status)
    assert all(Status.open in TRANSITIONS[s] for s in Status if s.closed)


def test_update_messages_and_actions():
    inc, _ = merge_finding(None, _finding(Severity.medium), T0)
    with pytest.raises(InvalidTransition, match="from open to takedown_accepted; allowed from open: "):
        apply_update(inc, status=Status.takedown_accepted, note=None, assignee=None, actor="a", now=T0)
    with pytest.raises(InvalidTransition, match="nothing to change"):
        apply_update(inc, status=None, note=None, assignee=None, actor="a", now=T0)
    assigned = apply_update(inc, status=None, note=None, assignee="ana", actor="bo", now=T0)
    assert assigned.assignee == "ana" and assigned.history[-1].action == "assigned"
    asked = apply_update(assigned, status="takedown_requested", note="sent", assignee=None, actor="bo", now=T0)
    assert asked.history[-1].action == "takedown" and asked.assignee == "ana"
    unassigned = apply_update(asked, status=None, note=None, assignee="", actor="bo", now=T0)
    assert unassigned.assignee is None


def test_expiry_only_for_closed():
    inc, _ = merge_finding(None, _finding(Severity.medium), T0)
    assert expiry(inc, T0, 180) is None
    closed = inc.model_copy(update={"status": Status.resolved})
    assert expiry(closed, T0, 10) == int((T0 + timedelta(days=10)).timestamp())


@pytest.mark.parametrize("kind,key,folded", [
    ("account", "Mastodon:@Brand_Help", "mastodon:brand_help"),
    ("account", " x : @Someone ", "x:someone"),
    ("domain", "HTTPS://www.Example.COM./login", "example.com"),
    ("domain", "shop.example.co.uk", "shop.example.co.uk"),
])
def test_allow_key_folds(kind, key, folded):
    assert allow_key(kind, key) == folded


@pytest.mark.parametrize("kind,key", [("account", "nohandle"), ("account", "x:@"), ("domain", "localhost"),
                                      ("phone", "+331")])
def test_allow_key_refuses(kind, key):
    with pytest.raises(ValueError):
        allow_key(kind, key)


def test_subject_allow_keys():
    assert ("account", "mastodon:x") in subject_allow_keys(SUBJECT)
    post = Subject(platform="Bluesky", kind="post", id="at://p/1", handle="@Shop.bsky.social")
    assert subject_allow_keys(post) == {("account", "bluesky:shop.bsky.social")}
    dom = Subject(platform="web", kind="domain", id="login.Example.org")
    wl = Watchlist(organization="Acme")
    assert Allowlist(frozenset({("domain", "example.org")}), wl).covers(dom)  # a parent covers sub-domains
    assert not Allowlist(frozenset({("domain", "other.org")}), wl).covers(dom)
    assert not Allowlist(frozenset({("domain", "login.example.org")}), wl).covers(
        Subject(platform="web", kind="domain", id="example.org"))


OWN = Watchlist.model_validate({
    "organization": "Santé Lumière",
    "official_accounts": [{"platform": "mastodon", "handle": "drmarchand@mastodon.social"}],
    "people": [{"name": "Claire Dubois", "accounts": [{"platform": "x", "handle": "claire_dubois"}]}],
})
DOCTOR_POST = Subject(platform="mastodon", kind="post", id="1", handle="@DrMarchand@mastodon.social")


def _leak(subject: Subject = DOCTOR_POST, kind: str = "fr_nir") -> Finding:
    return Finding(detector="leaks", kind=kind, severity=Severity.critical, score=95, reasons=["NIR"],
                   subject=subject, dedup="value-hash")


def test_an_allowlist_entry_never_silences_the_organisations_own_accounts():
    """Issue 13, item 1: even an entry naming an official account suppresses nothing it posts."""
    entries = Allowlist.build(OWN, [{"kind": "account", "key": "mastodon:drmarchand@mastodon.social"},
                                    {"kind": "account", "key": "x:claire_dubois"}])
    assert entries.covers(DOCTOR_POST)
    assert not entries.suppresses(_leak())
    assert not entries.suppresses(_leak(Subject(platform="x", kind="account", id="9", handle="Claire_Dubois")))
    stranger = Subject(platform="x", kind="account", id="7", handle="reseller")
    assert not entries.suppresses(_leak(stranger, "credit_card"))
    assert Allowlist.build(OWN, [{"kind": "account", "key": "x:reseller"}]).suppresses(_leak(stranger))


def test_a_false_positive_allowlists_strangers_only():
    """A leak marked false positive adds nothing (the incident stays quiet by itself); a scam by a
    stranger allowlists that stranger; one of the organisation's accounts never."""
    leak = Incident.from_finding(_leak(), T0)
    assert false_positive_entry(leak, OWN) is None
    assert false_positive_entry(leak, None) is None  # no watchlist at hand: still not
    scam = Incident.from_finding(Finding(detector="scams", kind="scam_post", severity=Severity.high, score=80,
                                         reasons=["r"], subject=Subject(platform="x", kind="account", id="7",
                                                                        handle="@Reseller")), T0)
    assert false_positive_entry(scam, OWN) == ("account", "x:reseller")
    own = scam.model_copy(update={"subject": Subject(platform="x", kind="account", id="9", handle="claire_dubois")})
    assert false_positive_entry(own, OWN) is None


def test_recorded_change_is_the_first_that_alerts():
    assert recorded_change([Change.new, Change.escalated]) is Change.new
    assert recorded_change([Change.repeat, Change.escalated, Change.repeat]) is Change.escalated
    assert recorded_change([Change.repeat, Change.repeat]) is Change.repeat


def test_ts_sorts_like_time():
    a, b = T0, T0 + timedelta(microseconds=1)
    assert ts(a) < ts(b) and len(ts(a)) == len(ts(b))
    assert ts(datetime(2026, 1, 1, 1, 0)) == ts(datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=1))))


@pytest.mark.parametrize("key,problem", [
    ("co.uk", "public suffix"), ("https://co.uk/x", "public suffix"), ("github.io", "public suffix"),
    ("com", "not a domain name"), ("bad_host!.com", "not a valid host name"), ("-x.example", "not a valid host name"),
    ("a..b.example", "not a valid host name"), ("x" * 64 + ".example", "not a valid host name"),
    ("mаisonlumiere.fr", "mixes scripts"), ("xn--misonlumiere-x9j.fr", "mixes scripts"),
])
def test_the_allowlist_refuses_public_suffixes_invalid_hosts_and_mixed_scripts(key, problem):
    """Issue 13, item 10: an entry for co.uk would silence every British domain."""
    from sentinelle.incidents import allow_key

    with pytest.raises(ValueError, match=problem):
        allow_key("domain", key)


@pytest.mark.parametrize("key", ["partner.co.uk", "www.partner-shop.example", "münchen.de", "例え.jp",
                                 "user.github.io"])
def test_the_allowlist_takes_real_domains(key):
    from sentinelle.incidents import allow_key

    assert allow_key("domain", key) == key.removeprefix("www.")


def test_the_allowlist_refuses_a_mixed_script_handle_and_a_bad_watchlist_entry():
    from sentinelle.incidents import allow_key
    from sentinelle.watchlist import WatchlistError, parse_watchlist

    with pytest.raises(ValueError, match="mixes scripts"):
        allow_key("account", "x:mаisonlumiere")  # Cyrillic а
    for allowlist, key in (({"domains": ["co.uk"]}, "allowlist.domains"),
                           ({"accounts": [{"platform": "x", "handle": "mаison"}]}, "allowlist.accounts")):
        with pytest.raises(WatchlistError, match=key.replace(".", r"\.")):
            parse_watchlist({"organization": "Org", "allowlist": allowlist})


def test_an_old_public_suffix_entry_covers_nothing():
    from sentinelle.incidents import subject_allow_keys
    from sentinelle.model import Subject

    keys = subject_allow_keys(Subject(platform="web", kind="domain", id="login.evil.co.uk"))
    assert ("domain", "evil.co.uk") in keys and ("domain", "login.evil.co.uk") in keys
    assert not keys & {("domain", "co.uk"), ("domain", "uk")}
