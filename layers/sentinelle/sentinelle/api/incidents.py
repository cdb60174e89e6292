"""The incident routes: list, read, triage, playbook and takedown."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Callable, Mapping

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from sentinelle.api.cursor import BadCursor, CursorCodec
from sentinelle.api.errors import BadGateway, BadRequest, Conflict, NotFoundApi
from sentinelle.api.models import (
    IncidentDetail,
    IncidentPage,
    IncidentSummary,
    TakedownPack,
    TakedownRequest,
    Triage,
)
from sentinelle.api.reporting import Reporter, ReportError
from sentinelle.api.takedown import evidence_pack
from sentinelle.model import Incident, Severity, Status, utcnow
from sentinelle.playbooks import Playbook
from sentinelle.ports import IncidentStore, InvalidTransition
from sentinelle.incidents import TRANSITIONS, false_positive_entry
from sentinelle.watchlist import Watchlist

IncidentId = Annotated[str, Path(min_length=1, max_length=128, description="the incident id")]
Playbooks = Callable[[str, str], "Playbook | None"]


def build_router(store: IncidentStore, *, codec: CursorCodec, caller: Callable[[], str], playbook: Playbooks,
                 watchlist: Watchlist | None = None, reporters: Mapping[str, Reporter] | None = None) -> Router:
    router = Router()
    reporters = reporters or {}

    @router.get("/incidents", summary="List incidents, newest first", tags=["incidents"])
    def list_incidents(
        status: Annotated[Status | None, Query(description="only this status")] = None,
        severity: Annotated[Severity | None, Query(description="minimum severity")] = None,
        detector: Annotated[str | None, Query(max_length=64)] = None,
        platform: Annotated[str | None, Query(max_length=64)] = None,
        since: Annotated[datetime | None, Query(description="last seen at or after (ISO 8601)")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page")] = None,
    ) -> IncidentPage:
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)  # a naive time is UTC, as everywhere in Sentinelle
            try:
                since = since.astimezone(timezone.utc)
            except (OverflowError, ValueError):  # 0001-01-01T00:00+01:00 is before the year 1 in UTC
                raise BadRequest("invalid parameter", "since: out of range once converted to UTC") from None
        filters = {"status": status.value if status else None, "severity": severity.value if severity else None,
                   "detector": detector, "platform": platform, "since": since.isoformat() if since else None}
        position = codec.decode(cursor, filters) if cursor else None
        try:
            page = store.list(status=status, severity=severity, detector=detector, platform=platform, since=since,
                              limit=limit, position=position)
        except ValueError as exc:
            if position is None:
                raise
            # Signed by us but not a position this store returned (another version, another store).
            raise BadCursor(f"the cursor does not name a position: {exc}") from None
        return IncidentPage(items=[IncidentSummary.of(i) for i in page.items],
                            next_cursor=codec.encode(page.next_position, filters))

    @router.get("/incidents/<incident_id>", summary="One incident with findings, history and playbook",
                tags=["incidents"])
    def get_incident(incident_id: IncidentId) -> IncidentDetail:
        incident = store.get(incident_id)
        return IncidentDetail.of(incident, playbook(incident.detector, incident.kind))

    @router.patch("/incidents/<incident_id>", summary="Triage: change status, add a note, assign",
                  tags=["incidents"])
    def triage(incident_id: IncidentId, change: Annotated[Triage, Body()]) -> IncidentDetail:
        who, now = caller(), utcnow()
        incident = store.update(incident_id, status=change.status, note=change.note, assignee=change.assignee,
                                actor=who, now=now)
        if change.status is Status.false_positive:
            # The incident stays quiet by itself; a stranger's account or domain is also allowlisted
            # so that its other posts do too (never one of the organisation's own accounts).
            entry = false_positive_entry(incident, watchlist)
            if entry:
                store.allow(*entry, f"false positive (incident {incident.id})", who, now)
        return IncidentDetail.of(incident, playbook(incident.detector, incident.kind))

    @router.get("/incidents/<incident_id>/playbook", summary="The response playbook for this incident",
                tags=["incidents"])
    def get_playbook(incident_id: IncidentId) -> Playbook:
        incident = store.get(incident_id)
        found = playbook(incident.detector, incident.kind)
        if found is None:
            raise NotFoundApi("not found", f"no playbook for {incident.detector}/{incident.kind}")
        return found

    @router.post("/incidents/<incident_id>/takedown", summary="Build the takedown evidence pack and mark "
                 "the incident takedown_requested", tags=["incidents"])
    def takedown(incident_id: IncidentId,
                 request: Annotated[TakedownRequest | None, Body()] = None) -> TakedownPack:
        who, now = caller(), utcnow()
        request = request or TakedownRequest()
        incident = store.get(incident_id)
        pack = evidence_pack(incident, watchlist=watchlist, now=now)
        if request.send:
            pack.update(sent=True, platform_answer=_send(incident, pack))
        note = request.note or ("takedown reported through the platform's API" if request.send
                                else "takedown requested; evidence pack prepared")
        store.update(incident_id, status=Status.takedown_requested, note=note, assignee=None, actor=who, now=now,
                     detail={"takedown": pack})
        return TakedownPack.model_validate(pack)

    def _send(incident: Incident, pack: dict[str, Any]) -> dict[str, Any]:
        reporter = reporters.get(incident.platform.lower())
        if reporter is None:
            raise Conflict("reporting not configured", f"this server cannot file reports on {incident.platform}: "
                           "send the prepared request yourself, or configure a reporter (docs/api.md)")
        # Refuse before sending anything: a report filed for an incident that cannot move would be lost.
        if Status.takedown_requested not in TRANSITIONS[incident.status]:
            raise InvalidTransition(f"cannot request a takedown of an incident that is {incident.status.value}")
        try:
            return reporter.send(incident, pack)
        except ReportError as exc:
            raise BadGateway("the platform did not take the report", str(exc)) from None

    return router
