"""The `impersonation` detector: strangers' profiles passing for the brand or its protected people.

Kinds: `person_impersonation` (a protected person's name, handle or photo copied) and
`brand_impersonation` (the brand's name or handle copied). One finding per profile and protected
identity copied (dedup on the identity). Scoring, each signal with its reason:

- copying the identity: display name similar once folded (case, accents, look-alike letters,
  leetspeak, word order, titles), handle similar to an official handle or to the name;
- a tie to the organisation: the brand named in the bio or display name, a link to an official or
  lookalike domain, the person's photo reused (online);
- harm: links to lookalike domains, a landing page with a password field (online);
- context: a young account, few followers.

A person's name alone is what namesakes share: without a tie to the organisation it stays below
`medium`. Copying an identity *and* linking to a lookalike or credential page is `high`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sentinelle.detectors.base import Context, Detector, register
from sentinelle.ports import Query
from sentinelle.model import Finding, Post, Profile, Severity, Subject
from sentinelle.signals.domains import LookalikeIndex
from sentinelle.signals.names import handle_core, handle_local, handle_similarity, matchers
from sentinelle.text.brands import BrandMatcher
from sentinelle.text.normalize import compact
from sentinelle.text.urls import extract_urls
from sentinelle.watchlist import Watchlist

NAME_COPY = 85  # display-name similarity from which a name counts as copied
YOUNG_DAYS = 30
FEW_FOLLOWERS = 100
MAX_LINKS = 10  # links read per profile (bio and profile links); more are spam either way
CACHE_KEY = "impersonation.state"


@dataclass
class Identity:
    """Someone or something the watchlist protects."""

    key: str  # "person:Claire Dubois", "brand:Maison Lumière": the finding's dedup
    kind: Literal["person", "brand"]
    name: str
    names: list[str]
    handles: list[str]  # official handles, as "platform:handle"
    cores: set[str] = field(default_factory=set)  # handle cores: official handles and squeezed names

    def __post_init__(self) -> None:
        self.handle_cores = {handle_core(h.split(":", 1)[1]) for h in self.handles}  # of the official handles


@dataclass
class _Assessment:
    identity: Identity
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    copies: bool = False  # name or handle copied
    tie: bool = False  # a tie to the organisation
    harm: bool = False  # a lookalike or credential page linked

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


class _State:
    """Per-watchlist compiled state: identities, name and handle matchers, brand matcher.

    `exhaustive` scores every identity instead of the blocked candidates: the reference that the
    blocked path is tested against, never used in a scan.
    """

    def __init__(self, watchlist: Watchlist, brands: BrandMatcher, exhaustive: bool = False) -> None:
        self.watchlist = watchlist
        self.exhaustive = exhaustive
        self.identities: list[Identity] = []
        official = [f"{a.platform}:{a.handle}" for a in watchlist.official_accounts]
        for b in watchlist.brands:
            cores = {handle_core(a.handle) for a in watchlist.official_accounts
                     if _related(handle_core(a.handle), [compact(n) for n in b.names])}
            cores |= {compact(n) for n in b.names if len(compact(n)) >= 5}
            handles = [h for h in official if handle_core(h.split(":", 1)[1]) in cores]
            self.identities.append(Identity(f"brand:{b.name}", "brand", b.name, b.names, handles, cores))
        for p in watchlist.people:
            names = [p.name, *p.aliases]
            cores = {handle_core(a.handle) for a in p.accounts} | {compact(n) for n in names}
            self.identities.append(Identity(f"person:{p.name}", "person", p.name, names,
                                            [f"{a.platform}:{a.handle}" for a in p.accounts], cores))
        self.name_owner: list[int] = []
        all_names: list[str] = []
        for i, ident in enumerate(self.identities):
            for n in ident.names:
                all_names.append(n)
                self.name_owner.append(i)
        self.core_owner: list[int] = []
        all_cores: list[str] = []
        for i, ident in enumerate(self.identities):
            for c in sorted(ident.cores):
                all_cores.append(c)
                self.core_owner.append(i)
        self.names, self.handles = matchers(all_names, all_cores)
        self.brands = brands

    @classmethod
    def of(cls, ctx: Context) -> "_State":
        return ctx.memo(CACHE_KEY, lambda wl: cls(wl, BrandMatcher.cached(ctx)))


def _related(core: str, names: list[str]) -> bool:
    return any(n and (n in core or core in n) for n in names if len(n) >= 4)


def _profile_of(item: Post | Profile) -> Profile | None:
    """A profile, or a post's author read as a small profile (its links and text count as shared)."""
    if isinstance(item, Profile):
        return item
    a = item.author
    if a is None or not (a.id or a.handle):
        return None
    return Profile(platform=item.platform, id=a.id or a.handle or item.id, handle=a.handle,
                   display_name=a.display_name, links=item.links, bio=None)


@register
class ImpersonationDetector(Detector):
    """Fake profiles copying the brand or its people (name, handle, photo), scored from explained
    signals, with lookalike and credential-page links raising them to high."""

    name = "impersonation"
    description = "Profiles passing for the brand, its executives or employees"
    reads = "both"
    audience = "strangers"
    every = "1h"

    def plan(self, watchlist: Watchlist) -> list[Query]:
        queries: dict[str, Query] = {}
        values = [n for b in watchlist.brands for n in b.names] + [p.name for p in watchlist.people]
        for v in values:
            q = Query(kind="search_profiles", value=v)
            queries.setdefault(q.key.casefold(), q)
        return list(queries.values())

    def applies(self, item: Post | Profile, ctx: Context) -> bool:
        if isinstance(item, Post) and (item.author is None or not (item.author.id or item.author.handle)):
            return False
        return super().applies(item, ctx)

    def detect(self, item: Post | Profile, ctx: Context) -> list[Finding]:
        profile = _profile_of(item)
        if profile is None:
            return []
        wl = ctx.watchlist
        if wl.is_own(profile.platform, profile.handle):
            return []
        state = _State.of(ctx)
        found = []
        for assessment in assess(profile, state, ctx, shared_text=item.text if isinstance(item, Post) else None):
            if assessment.score < 25:
                continue
            found.append(_finding(self.name, item, profile, assessment, ctx))
        return found


def assess(profile: Profile, state: _State, ctx: Context, shared_text: str | None = None) -> list[_Assessment]:
    """Every protected identity the profile copies, scored (the detector keeps those ≥ low)."""
    copied: dict[int, _Assessment] = {}

    def get(i: int) -> _Assessment:
        if i not in copied:
            copied[i] = _Assessment(state.identities[i])
        return copied[i]

    # 1. The display name.
    name_scores: dict[int, tuple[int, str]] = {}
    if profile.display_name:
        for j, s in state.names.match(profile.display_name, NAME_COPY, exhaustive=state.exhaustive):
            owner = state.name_owner[j]
            if s > name_scores.get(owner, (0, ""))[0]:
                name_scores[owner] = (s, state.names.source[j])
    for i, (s, matched) in name_scores.items():
        a = get(i)
        a.copies = True
        a.evidence["name_similarity"] = s
        pts = 35 if s >= 95 else 28
        a.add(pts + (15 if a.identity.kind == "brand" else 0),
              f"display name “{profile.display_name}” copies {a.identity.kind} “{matched}” ({s}% alike)")

    # 2. The handle.
    if profile.handle:
        best: dict[int, tuple[int, str]] = {}
        for j in state.handles.match(profile.handle, exhaustive=state.exhaustive):
            core = state.handles.source[j]
            s = handle_similarity(profile.handle, core)
            owner = state.core_owner[j]
            if s > best.get(owner, (-1, ""))[0]:
                best[owner] = (s, core)
        for i, (s, core) in best.items():
            a = get(i)
            a.copies = True
            a.evidence["handle_similarity"] = s
            shown = handle_local(profile.handle)
            same = handle_core(profile.handle) == core
            a.add(25 if i in name_scores else 45 if a.identity.kind == "brand" else 30,
                  f"handle @{shown} {'is' if same else 'imitates'} {a.identity.kind} {a.identity.name}'s "
                  f"{'handle' if core in a.identity.handle_cores else 'name'}"
                  + ("" if same else f" ({s}% alike)"))

    if not copied:
        return []

    # 3. Ties to the organisation and harm: brand named, links, photo.
    # Where the brand is named matters: in the profile itself (display name, bio) it is how the
    # account presents itself; in one post it may be a customer who shares a protected name. For a
    # brand, the display name is the copy itself, so only the bio and the post count as a tie.
    in_profile = state.brands.find(" ".join(filter(None, [profile.display_name, profile.bio])))
    brands_copied = any(a.identity.kind == "brand" for a in copied.values())
    in_bio = state.brands.find(profile.bio) if profile.bio and brands_copied else []
    in_post = state.brands.find(shared_text) if shared_text else []
    links = list(dict.fromkeys([*profile.links, *extract_urls(profile.bio), *extract_urls(shared_text)]))[:MAX_LINKS]
    domains = LookalikeIndex.cached(ctx)  # one index per watchlist, shared through ctx.cache
    verdicts = [(u, domains.check(u)) for u in links]
    lookalikes = [(u, v) for u, v in verdicts if v.is_lookalike]
    officials = [u for u, v in verdicts if v.is_official]
    reports = []
    if ctx.online and ctx.enrichers is not None:
        for u, v in verdicts:
            if not v.is_official:
                try:
                    reports.append((u, ctx.enrichers.link_report(u)))
                except Exception:  # an enricher failure is "couldn't check", never a crashed run
                    continue
    photo = None
    if ctx.online and ctx.enrichers is not None and profile.avatar_url:
        try:
            photo = ctx.enrichers.photo_match(profile.avatar_url)
        except Exception:
            photo = None

    for a in copied.values():
        ident = a.identity
        if ident.kind == "brand":
            a.tie = True  # copying the brand is itself the tie to it
        if ident.kind == "person":
            named, posted = in_profile, in_post
        else:
            named = [m for m in in_bio if m.brand == ident.name]
            posted = [m for m in in_post if m.brand == ident.name and not named]
        if named:
            a.tie = True
            a.add(20 if ident.kind == "person" else 10, f"the profile {named[0].reason}")
            a.evidence["brand_mentions"] = sorted({m.term for m in named})
        elif posted:
            a.tie = True
            a.add(10 if ident.kind == "person" else 5, f"the post {posted[0].reason}")
            a.evidence["brand_mentions"] = sorted({m.term for m in posted})
        if lookalikes:
            a.tie = a.harm = True
            u, v = lookalikes[0]
            a.add(35, f"links to a lookalike domain: {v.reason}")
            a.evidence["lookalike_links"] = [{"url": u, "domain": v.domain, "kind": v.kind, "imitates": v.target}
                                             for u, v in lookalikes]
        elif officials and ident.kind == "person":
            a.tie = True
            a.add(20, f"links to the organisation's site ({officials[0]}) from an account that is not its own")
        creds = [(u, r) for u, r in reports if r.credential_form]
        if creds:
            a.harm = True
            u, r = creds[0]
            a.add(20, f"{u} leads to a page asking for a password ({r.final_url or u})")
            a.evidence["credential_pages"] = [r.final_url or u for u, r in creds]
        if photo and ident.kind == "person" and photo[0] == ident.name:
            a.tie = True
            a.add(30, f"profile photo reuses {ident.name}'s reference photo (perceptual hash distance {photo[1]})")
            a.evidence["photo_match"] = {"person": photo[0], "distance": photo[1]}
        age = (ctx.now - profile.created_at).days if profile.created_at else None
        if age is not None and 0 <= age <= YOUNG_DAYS:
            a.add(5, f"account created {age} day(s) ago")
            a.evidence["account_age_days"] = age
        if profile.followers is not None and profile.followers < FEW_FOLLOWERS:
            a.add(5, f"only {profile.followers} follower(s)")
            a.evidence["followers"] = profile.followers
        a.evidence.update({"identity": ident.name, "identity_kind": ident.kind, "official_handles": ident.handles})
        # A person's name is shared by namesakes: without a tie it is not worth paging anyone.
        if ident.kind == "person" and not a.tie:
            a.score = min(a.score, 45)
            a.reasons.append("no tie to the organisation found (could be a namesake)")
        if not a.harm:
            a.score = min(a.score, 69)
        a.score = max(0, min(a.score, 89 if not (a.harm and a.tie and "credential_pages" in a.evidence) else 95))
    out = [a for a in copied.values() if a.copies]
    # "Claire Dubois | Lumière Patrimoine" copies the person and names her employer: one finding
    # about the person (the brand is its tie), not a second one about the brand's name.
    if any(a.identity.kind == "person" for a in out):
        out = [a for a in out if a.identity.kind == "person" or "handle_similarity" in a.evidence]
    return out


def _finding(detector: str, item: Post | Profile, profile: Profile, a: _Assessment, ctx: Context) -> Finding:
    severity = Severity.from_score(a.score)
    if a.harm and a.copies and a.tie and severity < Severity.high:
        severity = Severity.high
    kind = f"{a.identity.kind}_impersonation"
    subject = Subject(platform=profile.platform, kind="account", id=profile.id, handle=profile.handle,
                      url=profile.url if isinstance(item, Profile) else None, display_name=profile.display_name)
    return Finding(detector=detector, kind=kind, severity=severity, score=a.score, reasons=a.reasons,
                   evidence=a.evidence, subject=subject, dedup=a.identity.key, item_id=item.id,
                   item_url=item.url, observed_at=ctx.now)


__all__ = ["Identity", "ImpersonationDetector", "assess"]
