"""The campaign routes: list, read, and triage a whole campaign (every member incident)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Callable

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, Field

from sentinelle import campaigns as camp
from sentinelle.api.errors import Conflict, NotFoundApi
from sentinelle.api.models import TakedownRequest, Triage
from sentinelle.api.takedown import evidence_pack
from sentinelle.playbooks import report_route
from sentinelle.incidents import false_positive_entry
from sentinelle.model import Status, utcnow
from sentinelle.ports import InvalidTransition, NotFound
from sentinelle.watchlist import Watchlist

CampaignId = Annotated[str, Path(min_length=1, max_length=64, description="the campaign id, or a unique prefix")]


class CampaignSummary(BaseModel):
    id: str
    title: str
    severity: str
    members: int
    first_seen: str
    last_seen: str
    indicators: list[str]


class CampaignList(BaseModel):
    items: list[CampaignSummary]


class IndicatorOut(BaseModel):
    """An indicator as people read it: its keyed hash (a phone number's) never leaves the store."""

    kind: str
    shown: str
    joins: bool
    members: list[str]  # the first members sharing it
    count: int  # how many share it


class CampaignDetail(BaseModel):
    id: str
    title: str
    severity: str
    first_seen: datetime
    last_seen: datetime
    members: list[camp.Member]  # the first members (all of them up to campaigns.KEEP_MEMBERS)
    size: int  # how many incidents joined
    indicators: list[IndicatorOut]
    timeline: list[camp.Event]
    statuses: dict[str, str] = Field(default_factory=dict)  # each member incident's status now


class MemberResult(BaseModel):
    id: str
    status: str | None = None
    error: str | None = None


class CampaignTriage(BaseModel):
    campaign: CampaignDetail
    results: list[MemberResult]


class CampaignTakedown(BaseModel):
    """One evidence pack per member, and what the members share: the domains to report once to
    their registrar or host (with the route), the numbers and addresses to give the police or the
    operator."""

    campaign_id: str
    title: str
    packs: list[dict[str, Any]]
    shared: dict[str, Any]
    results: list[MemberResult]


def build_router(store: Any, *, caller: Callable[[], str], watchlist: Watchlist | None = None) -> Router:
    router = Router()

    def find(campaign_id: str) -> camp.Campaign:
        try:
            return camp.resolve(store, campaign_id)
        except LookupError as exc:
            raise NotFoundApi("not found", str(exc)) from None

    def detail(c: camp.Campaign) -> CampaignDetail:
        statuses = {}
        for m in c.members:
            try:
                statuses[m.id] = store.get(m.id).status.value
            except NotFound:
                statuses[m.id] = "expired"
        return CampaignDetail(id=c.id, title=c.title, severity=c.severity.value, first_seen=c.first_seen,
                              last_seen=c.last_seen, members=c.members, size=c.size, timeline=c.timeline,
                              statuses=statuses,
                              indicators=[IndicatorOut(**i.model_dump(exclude={"key"})) for i in c.indicators])

    @router.get("/campaigns", summary="Campaigns: incidents that share a phone number, a domain, a crypto "
                "address or a copied identity, most recent first", tags=["campaigns"])
    def list_campaigns(limit: Annotated[int, Query(ge=1, le=200)] = 50) -> CampaignList:
        return CampaignList(items=[CampaignSummary(**c.summary()) for c in camp.campaigns(store)[:limit]])

    @router.get("/campaigns/<campaign_id>", summary="One campaign: members, indicators, timeline",
                tags=["campaigns"])
    def get_campaign(campaign_id: CampaignId) -> CampaignDetail:
        return detail(find(campaign_id))

    @router.patch("/campaigns/<campaign_id>", summary="Triage a whole campaign: the status, note or "
                  "assignee applies to every member incident", tags=["campaigns"])
    def triage_campaign(campaign_id: CampaignId, change: Annotated[Triage, Body()]) -> CampaignTriage:
        c, who, now = find(campaign_id), caller(), utcnow()
        results = []
        # Every member, past the ones the campaign lists too; one member that cannot move that way
        # (already closed) does not stop the rest.
        for member in camp.member_ids(store, c):
            try:
                incident = store.update(member, status=change.status, note=change.note, assignee=change.assignee,
                                        actor=who, now=now)
            except (InvalidTransition, NotFound) as exc:
                results.append(MemberResult(id=member, error=str(exc)[:200]))
                continue
            if change.status is Status.false_positive:
                entry = false_positive_entry(incident, watchlist)
                if entry:
                    store.allow(*entry, f"false positive (campaign {c.id})", who, now)
            results.append(MemberResult(id=member, status=incident.status.value))
        return CampaignTriage(campaign=detail(c), results=results)

    @router.post("/campaigns/<campaign_id>/takedown", summary="Build one takedown evidence pack per member and "
                 "the shared indicators (domains for a registrar or host report); mark the members "
                 "takedown_requested", tags=["campaigns"])
    def takedown_campaign(campaign_id: CampaignId,
                          request: Annotated[TakedownRequest | None, Body()] = None) -> CampaignTakedown:
        c, who, now = find(campaign_id), caller(), utcnow()
        request = request or TakedownRequest()
        if request.send:
            raise Conflict("not for a campaign", "file reports member by member (POST /incidents/{id}/takedown "
                           "with send), after checking each pack")
        packs, results = [], []
        for m in c.members:
            try:
                incident = store.get(m.id)
                pack = evidence_pack(incident, watchlist=watchlist, now=now)
                store.update(m.id, status=Status.takedown_requested, assignee=None, actor=who, now=now,
                             note=request.note or f"takedown requested with campaign {c.id}",
                             detail={"takedown": pack})
            except (InvalidTransition, NotFound) as exc:
                results.append(MemberResult(id=m.id, error=str(exc)[:200]))
                continue
            packs.append(pack)
            results.append(MemberResult(id=m.id, status=Status.takedown_requested.value))
        return CampaignTakedown(campaign_id=c.id, title=c.title, packs=packs, shared=shared(c), results=results)

    def shared(c: camp.Campaign) -> dict[str, Any]:
        impersonation = any(m.detector == "impersonation" for m in c.members)
        route = report_route("domain", "impersonation" if impersonation else "scam")
        joined = [i for i in c.indicators if i.joins]
        return {
            "domains": [{"domain": i.shown, "members": len(i.members), "report": route.model_dump() if route else None}
                        for i in joined if i.kind == "domain"],
            "imitates": [i.shown for i in c.indicators if i.kind == "imitates"],
            "phone_numbers": [{"number": i.shown, "members": len(i.members)} for i in joined if i.kind == "phone"],
            "crypto_addresses": [i.shown for i in joined if i.kind == "crypto"],
            "identities_copied": [i.shown for i in joined if i.kind == "identity"],
        }

    return router
