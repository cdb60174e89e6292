"""The HTTP API in template.yaml serves every route of the code, and only /health anonymously."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


from aws_template import template

from sentinelle.api.app import PUBLIC_PATHS, create_app, openapi_document
from sentinelle.api.auth import bearer_token

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _api_paths() -> dict[str, Any]:
    api = next(r for r in template()["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
    return api["Properties"]["DefinitionBody"]["paths"]


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _code_routes() -> set[tuple[str, str]]:
    doc = openapi_document(create_app(store=None, auth=bearer_token("t"), cursor_key=b"k"))  # type: ignore[arg-type]
    return {(method, path) for path, item in doc["paths"].items() for method in item} | {("get", "/openapi.json")}


def test_every_route_reaches_the_function_and_only_health_is_anonymous():
    paths = _api_paths()
    declared = {_shape(p): item for p, item in paths.items()}
    proxy = paths.get("/{proxy+}", {}).get("x-amazon-apigateway-any-method")
    for method, path in _code_routes():
        op = declared.get(_shape(path), {}).get(method) or proxy
        assert op is not None, f"{method.upper()} {path} is not routed to the API function"
        secured = bool(op.get("security"))
        if path in PUBLIC_PATHS:
            assert not secured, f"{path} must stay public"
        else:
            assert secured, f"{method.upper()} {path} is reachable without the authorizer"
