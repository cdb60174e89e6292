"""API errors and their single mapping to JSON `{"error": ..., "detail": ...}` answers."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from sentinelle.api.cursor import BadCursor
from sentinelle.ports import InvalidTransition, NotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = HTTPStatus.BAD_REQUEST

    def __init__(self, error: str, detail: Any = None):
        super().__init__(error)
        self.error, self.detail = error, detail


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(ApiError):
    status = HTTPStatus.UNAUTHORIZED


class NotFoundApi(ApiError):
    status = HTTPStatus.NOT_FOUND


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT


class BadGateway(ApiError):
    status = HTTPStatus.BAD_GATEWAY


class Unprocessable(ApiError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


def error_response(status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=int(status), content_type=content_types.APPLICATION_JSON,
                    body={"error": error, "detail": detail}, headers=headers)


def unauthorized_response() -> Response:
    return error_response(HTTPStatus.UNAUTHORIZED, "unauthorized",
                          "send valid credentials (Authorization: Bearer <token> locally; IAM or JWT in AWS)",
                          headers={"WWW-Authenticate": "Bearer"})


def _validation_detail(errors: Any) -> list[dict[str, Any]]:
    # Location, type and message only: never the input, which may be anything the caller sent.
    return [{"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")} for e in errors]


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Map every failure once; a bad request is never a 500."""

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        if isinstance(exc, Unauthorized):
            return unauthorized_response()
        return error_response(exc.status, exc.error, exc.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid request", _validation_detail(exc.errors()))

    @app.exception_handler(RequestUnsupportedContentType)
    def _content_type(exc: RequestUnsupportedContentType) -> Response:
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported content type",
                              "send the body as application/json")

    @app.exception_handler(BadCursor)
    def _bad_cursor(exc: BadCursor) -> Response:
        return error_response(HTTPStatus.BAD_REQUEST, "invalid cursor", str(exc))

    @app.exception_handler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "not found", exc.args[0] if exc.args else None)

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "not found", "no such route")

    @app.exception_handler(InvalidTransition)
    def _transition(exc: InvalidTransition) -> Response:
        return error_response(HTTPStatus.CONFLICT, "invalid transition", str(exc))

    @app.exception_handler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        return error_response(exc.status_code, HTTPStatus(exc.status_code).phrase.lower(), exc.msg)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error", None)
