"""Response playbooks: what to check, who to tell, what to say and how to report, per incident kind."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).with_name("playbooks.yaml")

ReportAs = Literal["scam", "impersonation", "privacy"]


class ReportRoute(BaseModel):
    """How to report to one platform: its API where one exists, else its form or an e-mail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str
    how: Literal["api", "form", "email"]
    where: str
    detail: str = ""


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: str
    kind: str  # the incident kind it was chosen for
    title: str
    summary: str
    report_as: ReportAs
    owner: str  # the department that owns the next step (the watchlist's teams route the alert itself)
    contain: list[str] = Field(default_factory=list)  # do first, before anything else
    check: list[str] = Field(min_length=1)
    tell: list[str] = Field(min_length=1)
    customers: str
    # Per platform (and "domain" for lookalike sites), the route for `report_as`.
    reporting: dict[str, ReportRoute] = Field(default_factory=dict)

    def first_steps(self, n: int = 3) -> list[str]:
        return [*self.contain, *self.check][:n]

    def report_route(self, platform: str | None) -> ReportRoute | None:
        return self.reporting.get((platform or "").lower())


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    detector: str
    kinds: list[str] = Field(min_length=1)
    title: str
    summary: str
    report_as: ReportAs
    owner: str = Field(min_length=1)
    contain: list[str] = Field(default_factory=list)
    check: list[str] = Field(min_length=1)
    tell: list[str] = Field(min_length=1)
    customers: str


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platforms: dict[str, dict[ReportAs, dict[str, str]]]
    playbooks: list[_Entry] = Field(min_length=1)


@lru_cache(maxsize=1)
def _data() -> _Data:
    return _Data.model_validate(yaml.safe_load(DATA.read_text(encoding="utf-8")))


def report_route(platform: str | None, report_as: ReportAs) -> ReportRoute | None:
    """The platform's reporting route for a scam, an impersonation or a privacy breach."""
    name = (platform or "").lower()
    route = _data().platforms.get(name, {}).get(report_as)
    return ReportRoute(platform=name, **route) if route else None


@lru_cache(maxsize=256)
def playbook_for(detector: str, kind: str) -> Playbook:
    """The first playbook (in file order) whose detector and kind patterns match; never fails.

    Patterns are shell-style (`policy:*`); the file ends with a catch-all.
    """
    for entry in _data().playbooks:
        if fnmatchcase(detector, entry.detector) and any(fnmatchcase(kind, k) for k in entry.kinds):
            reporting = {p: ReportRoute(platform=p, **routes[entry.report_as])
                         for p, routes in _data().platforms.items() if entry.report_as in routes}
            return Playbook(detector=detector, kind=kind, reporting=reporting,
                            **entry.model_dump(exclude={"detector", "kinds"}))
    raise LookupError(f"no playbook for {detector}/{kind}: the catch-all entry is missing")  # pragma: no cover


__all__ = ["Playbook", "ReportRoute", "playbook_for", "report_route"]
