"""The incidents API as the CLI calls it: the same routes on the local store or on a deployed stack."""

from __future__ import annotations

from urllib.parse import quote

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, Protocol
from urllib.parse import urlencode, urlsplit

from sentinelle.ports import IncidentStore
from sentinelle.watchlist import Watchlist

ID_LENGTH = 24  # an incident id: 24 hex digits (sha-256 of its identity, cut)


class ApiError(Exception):
    """The API refused the call; the message carries its `error` and `detail`."""

    def __init__(self, status: int, error: str, detail: Any = None):
        self.status, self.error, self.detail = status, error, detail
        super().__init__(f"{error}: {detail}" if detail else error)


class Transport(Protocol):
    def __call__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """Send one request (path with its query string); answer (status, body)."""


@dataclass
class Client:
    """Calls the API's routes over one transport and answers their JSON, or raises ApiError."""

    transport: Transport
    where: str  # for messages: the store's path or the API's URL

    def call(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
             body: Mapping[str, Any] | None = None) -> Any:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        target = path + (f"?{urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"content-type": "application/json"} if body is not None else {}
        status, raw = self.transport(method, target, data, headers)
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            raise ApiError(status, f"{self.where} answered HTTP {status} with a body that is not JSON") from None
        if status >= 400:
            if isinstance(answer, dict) and "error" in answer:
                raise ApiError(status, str(answer["error"]), answer.get("detail"))
            raise ApiError(status, f"HTTP {status}", answer)
        return answer

    def list(self, **filters: Any) -> dict[str, Any]:
        return dict(self.call("GET", "/incidents", query=filters))

    def resolve_id(self, given: str) -> str:
        """The full id of the one incident whose id starts with `given` (as git takes a commit)."""
        prefix = given.strip().lower()
        if not prefix:
            raise ApiError(400, "invalid id", "an incident id or a prefix of one")
        if len(prefix) >= ID_LENGTH:
            return prefix
        matches: list[str] = []
        cursor = None
        while True:  # every status, newest first, until the pages end
            page = self.list(limit=200, cursor=cursor)
            matches += [i["id"] for i in page["items"] if str(i["id"]).startswith(prefix)]
            cursor = page.get("next_cursor")
            if not cursor or len(matches) > 1:
                break
        if not matches:
            raise ApiError(404, "not found", f"no incident id starts with {given!r} in {self.where}")
        if len(matches) > 1:
            raise ApiError(409, "ambiguous id", f"{given!r} starts {', '.join(matches[:5])}: give more characters")
        return matches[0]

    def get(self, incident_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/incidents/{self.resolve_id(incident_id)}"))

    def triage(self, incident_id: str, **change: Any) -> dict[str, Any]:
        body = {k: v for k, v in change.items() if v is not None}
        return dict(self.call("PATCH", f"/incidents/{self.resolve_id(incident_id)}", body=body))

    def takedown(self, incident_id: str, *, send: bool = False, note: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"send": send, **({"note": note} if note else {})}
        return dict(self.call("POST", f"/incidents/{self.resolve_id(incident_id)}/takedown", body=body))


    # Campaigns: the API resolves a unique prefix of a campaign id itself.
    def campaigns(self, limit: int = 50) -> dict[str, Any]:
        return dict(self.call("GET", "/campaigns", query={"limit": limit}))

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/campaigns/{quote(campaign_id.strip(), safe='')}"))

    def triage_campaign(self, campaign_id: str, **change: Any) -> dict[str, Any]:
        body = {k: v for k, v in change.items() if v is not None}
        return dict(self.call("PATCH", f"/campaigns/{quote(campaign_id.strip(), safe='')}", body=body))


    def takedown_campaign(self, campaign_id: str, *, note: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"note": note} if note else {}
        return dict(self.call("POST", f"/campaigns/{quote(campaign_id.strip(), safe='')}/takedown", body=body))


def local_client(store: IncidentStore, where: str, *, actor: str, watchlist: Watchlist | None = None) -> Client:
    """The API's own routes resolved in this process over the local store: the CLI triages exactly
    as an API caller would (the same transitions, notes, suppression and evidence packs)."""
    from sentinelle.api.app import create_app
    from sentinelle.api.reporting import reporters_from_env
    from sentinelle.api.server import _Context, to_event

    app = create_app(store, auth=lambda event: actor, cursor_key=os.urandom(32), watchlist=watchlist,
                     reporters=reporters_from_env())
    context = _Context()

    def transport(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        result = app.resolve(to_event(method, path, headers, body, "127.0.0.1"), context)
        return int(result["statusCode"]), str(result.get("body") or "").encode()

    return Client(transport, where)


def execute_api_region(url: str) -> str | None:
    """eu-west-3 in https://abc123.execute-api.eu-west-3.amazonaws.com."""
    parts = (urlsplit(url).hostname or "").split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "execute-api" else None


def sigv4_headers(method: str, url: str, body: bytes, headers: dict[str, str], *, credentials: Any,
                  region: str) -> dict[str, str]:
    """The request's headers signed for API Gateway (service execute-api) with AWS Signature V4."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def http_client(base_url: str, *, token: str | None = None, region: str | None = None,
                timeout: float = 30.0) -> Client:
    """A deployed API (or `sentinelle serve`): a bearer token (the local token, or a JWT from your
    identity provider when the stack uses AuthMode JWT), else SigV4 with the AWS credentials of
    the environment (AuthMode IAM)."""
    import httpx

    base = base_url.rstrip("/")
    signer: Any = None
    if not token:
        import boto3

        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ApiError(401, "no credentials", "set SENTINELLE_API_TOKEN (a bearer token or JWT), "
                           "or AWS credentials to sign with SigV4 (AuthMode IAM)")
        region = region or execute_api_region(base) or session.region_name
        if not region:
            raise ApiError(400, "no region", "set AWS_REGION to the API's region to sign requests")
        signer = (credentials.get_frozen_credentials(), region)
    http = httpx.Client(timeout=timeout)

    def transport(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        url = base + path
        sent = dict(headers)
        if token:
            sent["authorization"] = f"Bearer {token}"
        else:
            sent = sigv4_headers(method, url, body, sent, credentials=signer[0], region=signer[1])
        try:
            response = http.request(method, url, content=body or None, headers=sent)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"cannot reach {base}", type(exc).__name__) from None
        return response.status_code, response.content

    return Client(transport, base)
