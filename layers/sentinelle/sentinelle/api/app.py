"""`create_app`: the one API application that the Lambda handler and `sentinelle serve` resolve."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any, Callable, Mapping

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from sentinelle.api import allowlist, campaigns, incidents
from sentinelle.api.auth import Authenticator
from sentinelle.api.cursor import CursorCodec, derive_key
from sentinelle.api.errors import Unauthorized, error_response, register_error_handlers, unauthorized_response
from sentinelle.api.models import Health
from sentinelle.api.reporting import Reporter
from sentinelle.playbooks import Playbook, playbook_for
from sentinelle.secrets import get_secret
from sentinelle.ports import IncidentStore
from sentinelle.watchlist import Watchlist

PUBLIC_PATHS = frozenset({"/health"})
TITLE = "Sentinelle incidents API"
VERSION = "1.0.0"


def _body_problem(event: Mapping[str, Any]) -> Response | None:
    """The routes take UTF-8 JSON only; anything else is refused before the validator sees it."""
    method = str((event.get("requestContext") or {}).get("http", {}).get("method", "GET")).upper()
    body = event.get("body")
    if method not in ("POST", "PUT", "PATCH") and not body:
        return None
    ctype = next((str(v) for k, v in (event.get("headers") or {}).items() if str(k).lower() == "content-type"), "")
    media = ctype.split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported content type",
                              "send the body as application/json")
    text = body
    if body and event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", "the body is not UTF-8 JSON")
    if text:
        try:
            json.loads(text)
        except RecursionError:  # the parser would overflow the stack deep inside the validator
            return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", "body: nested too deeply")
        except ValueError:
            pass  # the validator names what is wrong
    return None


def _result(response: Response) -> dict[str, Any]:
    """An API Gateway HTTP API answer for a response made before routing."""
    return {"statusCode": response.status_code, "isBase64Encoded": False, "cookies": [],
            "headers": {"Content-Type": content_types.APPLICATION_JSON, **response.headers},
            "body": json.dumps(response.body)}


class SentinelleResolver(APIGatewayHttpResolver):
    """Authenticates before anything else (validation included): anonymous callers learn nothing."""

    def __init__(self, authenticate: Authenticator):
        super().__init__(enable_validation=True)
        self._authenticate = authenticate

    @staticmethod
    def _route_path(event: Mapping[str, Any]) -> str:
        path = str(event.get("rawPath") or "/")
        stage = (event.get("requestContext") or {}).get("stage")
        if stage and stage != "$default" and path.startswith(f"/{stage}/"):
            path = path[len(stage) + 1:]
        return path

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if self._route_path(event) not in PUBLIC_PATHS:
            who = self._authenticate(event)
            if who is None:
                return _result(unauthorized_response())
            self.append_context(caller=who)
        refused = _body_problem(event)
        if refused is not None:
            return _result(refused)
        return super().resolve(event, context)

    def caller(self) -> str:
        who = self.context.get("caller")
        if not who:
            raise Unauthorized("unauthorized")
        return who


def default_cursor_key(token: str | None = None) -> bytes:
    """The secret `cursor_key` (SENTINELLE_CURSOR_KEY locally), else a key derived from the API token."""
    key = get_secret("cursor_key")
    if key:
        return key.encode()
    if token:
        return derive_key(token)
    raise ValueError("no cursor key: set SENTINELLE_CURSOR_KEY (or give the API token)")


def create_app(store: IncidentStore, *, auth: Authenticator, cursor_key: bytes | None = None,
               watchlist: Watchlist | None = None, reporters: Mapping[str, Reporter] | None = None,
               playbook: Callable[[str, str], Playbook | None] = playbook_for) -> SentinelleResolver:
    """The API over `store`; `auth` answers the caller's identity from the event, or None.

    `watchlist` names the official accounts in takedown packs; `reporters` (by platform) file
    takedown reports when a caller asks to send them (none: nothing is ever sent).
    """
    app = SentinelleResolver(auth)
    register_error_handlers(app)
    codec = CursorCodec(cursor_key or default_cursor_key())
    app.include_router(incidents.build_router(store, codec=codec, caller=app.caller, playbook=playbook,
                                              watchlist=watchlist, reporters=reporters))
    app.include_router(allowlist.build_router(store, caller=app.caller))
    app.include_router(campaigns.build_router(store, caller=app.caller, watchlist=watchlist))

    @app.get("/health", summary="Liveness (no authentication)", tags=["health"], security=[{}])
    def health() -> Health:
        return Health()

    document: list[str] = []

    @app.get("/openapi.json", include_in_schema=False)
    def openapi():  # noqa: ANN202 - a Response, not a schema type
        if not document:  # generated once per app: the routes do not change
            document.append(json.dumps(openapi_document(app)))
        return Response(status_code=HTTPStatus.OK, content_type=content_types.APPLICATION_JSON, body=document[0])

    return app


def openapi_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The OpenAPI document of every route, as a dict, with the error answers documented."""
    doc = json.loads(app.get_openapi_json_schema(
        title=TITLE, version=VERSION,
        description="Query, triage, suppress and request takedown of Sentinelle incidents.",
        security_schemes={"bearer": HTTPBearer(description="SENTINELLE_API_TOKEN locally; a JWT in AWS "
                                               "(or IAM SigV4 when the API uses IAM auth)")},
        security=[{"bearer": []}]))
    return _document_errors(doc)


_ERRORS = {400: "invalid request, parameter, key or cursor", 401: "no valid credentials",
           404: "no such incident, campaign or entry",
           409: "the status cannot change that way", 415: "the body is not JSON",
           422: "invalid parameters or body", 502: "the platform did not take the report"}


def _document_errors(doc: dict[str, Any]) -> dict[str, Any]:
    """Every error answers {"error", "detail"} (not powertools' default validation shape): say so."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {"type": "object", "required": ["error"], "title": "Error",
                        "properties": {"error": {"type": "string"}, "detail": {}}}
    schemas.pop("HTTPValidationError", None)
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            responses = op.setdefault("responses", {})
            codes = {422}
            if path in PUBLIC_PATHS:
                codes = set()
                responses.pop("422", None)
            else:
                codes.add(401)
            if "{" in path:
                codes.add(404)
            if path not in PUBLIC_PATHS:  # a malformed request (bad Content-Length, bad parameter) on any route
                codes.add(400)
            if path.startswith(("/incidents/", "/campaigns/")) and method in ("patch", "post"):
                codes.add(409)
            if method in ("patch", "post", "put"):
                codes.add(415)
            if path.endswith("/takedown"):
                codes.add(502)
            for code in sorted(codes):
                responses[str(code)] = {"description": _ERRORS[code], "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return doc
