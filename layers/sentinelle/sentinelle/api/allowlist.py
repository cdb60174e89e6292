"""The allowlist routes (what an entry suppresses is `sentinelle.incidents.Allowlist`)."""

from __future__ import annotations

from typing import Annotated, Callable
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from sentinelle.api.errors import BadRequest, NotFoundApi
from sentinelle.api.models import AllowEntry, AllowList
from sentinelle.model import utcnow
from sentinelle.ports import IncidentStore
from sentinelle.incidents import allow_key, allow_reason


def normalize(kind: str, key: str) -> str:
    """The store's folded key ("platform:handle" for accounts, a host name for domains), or 400."""
    try:
        return allow_key(kind, key)
    except ValueError as exc:
        raise BadRequest("invalid allowlist key", str(exc)) from None


def build_router(store: IncidentStore, caller: Callable[[], str]) -> Router:
    router = Router()

    @router.get("/allowlist", summary="Subjects that never alert", tags=["allowlist"])
    def list_allowed() -> AllowList:
        return AllowList(items=store.allowlist())

    @router.post("/allowlist", summary="Allowlist an account or a domain", tags=["allowlist"], status_code=201)
    def allow(entry: Annotated[AllowEntry, Body()]) -> AllowEntry:
        key = normalize(entry.kind, entry.key)
        store.allow(entry.kind, key, entry.reason, caller(), utcnow())
        return AllowEntry(kind=entry.kind, key=key, reason=allow_reason(entry.reason))

    @router.delete("/allowlist/<kind>/<key>", summary="Remove an allowlist entry", tags=["allowlist"],
                   status_code=204, responses={204: {"description": "removed"}, 404: {"description": "no such entry"}})
    def disallow(kind: Annotated[str, Path(pattern="^(account|domain)$")], key: str):  # noqa: ANN202
        key = normalize(kind, unquote(key))  # the path arrives percent-encoded
        if not any(e.get("kind") == kind and e.get("key") == key for e in store.allowlist()):
            raise NotFoundApi("not found", f"no {kind} {key!r} on the allowlist")
        store.disallow(kind, key)
        return Response(status_code=204, body="")  # an empty body, not null (API Gateway and emulators expect a string)

    return router
