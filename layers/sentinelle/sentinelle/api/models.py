"""Request and response bodies of the incidents API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sentinelle.model import Finding, HistoryEntry, Incident, Severity, Status, Subject
from sentinelle.playbooks import Playbook


# Notes are masked by the store (incidents.apply_update), like every free text a person writes.
Note = Annotated[str | None, Field(default=None, max_length=4000)]


class IncidentSummary(BaseModel):
    """An incident as listed: everything but its findings and history."""

    id: str
    detector: str
    kind: str
    severity: Severity
    score: int
    status: Status
    platform: str
    subject: Subject
    reasons: list[str]
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    assignee: str | None = None

    @classmethod
    def of(cls, incident: Incident) -> "IncidentSummary":
        return cls.model_validate(incident.model_dump(exclude={"findings", "history"}))


class IncidentDetail(IncidentSummary):
    """One incident with its findings, history and the response playbook of its detector and kind."""

    history: list[HistoryEntry]
    findings: list[Finding]
    playbook: Playbook | None = None

    @classmethod
    def of(cls, incident: Incident, playbook: Playbook | None = None) -> "IncidentDetail":
        return cls.model_validate({**incident.model_dump(), "playbook": playbook})


class IncidentPage(BaseModel):
    items: list[IncidentSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class Triage(BaseModel):
    """A status change, a note, an assignment, or several at once."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    note: Note = None
    assignee: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _something(self) -> "Triage":
        if self.status is None and self.note is None and self.assignee is None:
            raise ValueError("give at least one of status, note, assignee")
        return self


class TakedownRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = None
    send: bool = Field(default=False, description="file the report through the platform's API (only where "
                       "the server has reporting credentials; otherwise 409)")


class TakedownPack(BaseModel):
    """What a platform's trust-and-safety team needs, and how to report to it."""

    model_config = ConfigDict(extra="allow")

    incident_id: str
    platform: str
    subject: dict[str, Any]
    url: str | None = Field(description="the account or post reported")
    item_url: str | None = Field(description="the post that triggered the incident")
    impersonates: Any = Field(description="the protected identity the subject copies, when known")
    official_accounts: list[dict[str, Any]]
    signals: list[str]
    severity: Severity
    captured_at: datetime
    prepared_at: datetime
    snapshot_sha256: str = Field(description="SHA-256 of the canonical JSON of `snapshot`")
    snapshot: dict[str, Any]
    report: dict[str, Any] = Field(description="the platform's reporting route: an API request or a form")
    sent: bool
    platform_answer: dict[str, Any] | None = None


class AllowEntry(BaseModel):
    """An allowlisted subject: an account ("platform:handle") or a domain ("example.com")."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["account", "domain"]
    key: str = Field(min_length=3, max_length=300)
    reason: str = Field(default="", max_length=1000)


class AllowList(BaseModel):
    items: list[dict[str, Any]]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
