"""What every request goes through before any route runs, and the one shape of every error.

``RequestGuard`` (ASGI, in front of every kernel and plugin route):
- refuses control characters (NUL included) in the path, the query and JSON or form
  bodies with a 422 naming the field, the same on SQLite and PostgreSQL;
- caps request bodies (``RM365_MAX_BODY_BYTES``; a route declares a larger cap with
  ``Depends(body_limit(...))``) and answers 413 without reading past the cap;
- checks the access token of a route that needs one *before* reading its body, so an
  anonymous caller cannot make a worker parse a large body.

``form_text_guard`` (a dependency of every route) does the same for the text fields and
file names of a multipart form, once the route has parsed it (files are never buffered by
the guard; their contents are the route's to check, e.g. with ``check_text``).

Every 4xx answers ``{"detail": "<message>", ...fields}``; the OpenAPI document says so
once for every route (``document_errors``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ._errors import DomainError
from ._text import control_character, find_control_character

log = logging.getLogger("rm365")


async def form_text_guard(request: Request) -> None:
    """A 422 naming the field when a multipart form's text field or file name holds a
    control character. Looks only at a form the route has already read."""
    form = getattr(request, "_form", None)
    if form is None:
        return
    for key, value in form.multi_items():
        text = value if isinstance(value, str) else (getattr(value, "filename", None) or "")
        bad = control_character(key) or control_character(text)
        if bad is not None:
            raise DomainError(422, f"{key}: contains a control character ({bad})", field=key)


class BodyLimit:
    """The dependency behind ``body_limit``: does nothing when called; the request guard
    reads ``max_bytes`` from the route before the body arrives."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("body_limit needs a positive number of bytes")
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"body_limit({self.max_bytes})"

    def __call__(self) -> None:
        return None


def body_limit(max_bytes: int) -> BodyLimit:
    """Let one route take bodies up to ``max_bytes`` (the site's default is
    ``RM365_MAX_BODY_BYTES``, 1 MiB), e.g. a file upload::

        @router.post("/import", dependencies=[Depends(body_limit(50 * 1024 * 1024))])
    """
    return BodyLimit(max_bytes)


def _dependency_calls(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependency_calls(dependency)


def _is_public(call: Any) -> bool:
    from ._auth import public

    return call is public


class _RouteRules:
    __slots__ = ("public", "max_bytes")

    def __init__(self, public: bool, max_bytes: int | None) -> None:
        self.public, self.max_bytes = public, max_bytes


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


class RequestGuard:
    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._table: list[tuple[Any, set[str], _RouteRules]] | None = None

    def _build(self, app: Any) -> list[tuple[Any, set[str], _RouteRules]]:
        from ._route_guards import endpoints

        table = []
        for endpoint in endpoints(getattr(getattr(app, "router", None), "routes", [])):
            route = endpoint.route
            regex = getattr(route, "path_regex", None)
            if regex is None:
                continue
            dependant = getattr(route, "dependant", None)
            if dependant is None:  # a mounted app (static files): no body, no token
                rules = _RouteRules(True, None)
            else:
                calls = list(_dependency_calls(dependant))
                limits = [call.max_bytes for call in calls if isinstance(call, BodyLimit)]
                public = any(_is_public(call) for call in calls) or getattr(
                    getattr(route, "endpoint", None), "__rm365_public__", False
                )
                rules = _RouteRules(public, max(limits) if limits else None)
            table.append((regex, set(getattr(route, "methods", None) or []), rules))
        return table

    def _route(self, scope: Any) -> tuple[_RouteRules, dict[str, str]] | None:
        """The rules and raw path parameters of the route a request goes to, if any."""
        if self._table is None:
            self._table = self._build(scope.get("app"))
        path, method = scope.get("path", ""), scope.get("method", "GET")
        for regex, methods, rules in self._table:
            found = regex.match(path)
            if found and (not methods or method in methods):
                return rules, found.groupdict()
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._check_path_and_query(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length_header = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            await _answer(400, {"detail": "Content-Length is not a number", "field": "Content-Length"})(
                scope, receive, send
            )
            return
        if not chunked and not length:
            await self.app(scope, receive, send)
            return

        matched = self._route(scope)
        rules = matched[0] if matched else _RouteRules(True, None)
        limit = rules.max_bytes or self.max_body_bytes
        if length is not None and length > limit:
            await _answer(413, _too_large(limit))(scope, receive, send)
            return
        if matched and not rules.public:
            refusal = await self._check_token(scope, headers)
            if refusal is not None:
                await refusal(scope, receive, send)
                return

        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type in (b"", b"application/json", b"application/x-www-form-urlencoded") or content_type.endswith(
            b"+json"
        ):
            body = await _read_body(receive, limit)
            if body is None:
                await _answer(413, _too_large(limit))(scope, receive, send)
                return
            problem = _body_problem(body, form=content_type == b"application/x-www-form-urlencoded")
            if problem is not None:
                await _answer(422, problem)(scope, receive, send)
                return
            await self.app(scope, _replay(body, receive), send)
            return
        await self.app(scope, _counting(receive, limit), send)

    def _check_path_and_query(self, scope: Any) -> JSONResponse | None:
        bad = control_character(scope.get("path", ""))
        if bad is not None:
            field = "path"
            matched = self._route(scope)
            if matched:
                for name, value in matched[1].items():
                    if isinstance(value, str) and control_character(value):
                        field = name
            return _answer(422, _refusal(field, bad, ["path", field] if field != "path" else ["path"]))
        query = scope.get("query_string", b"")
        if query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                bad = control_character(name) or control_character(value)
                if bad is not None:
                    return _answer(422, _refusal(name, bad, ["query", name]))
        return None

    async def _check_token(self, scope: Any, headers: dict[bytes, bytes]) -> JSONResponse | None:
        from ._auth import INVALID_TOKEN, UNAUTHENTICATED

        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        kernel = scope["app"].state.kernel
        principal = await kernel.authenticator.authenticate(token) if token else None
        if principal is None:
            return _answer(
                401,
                {"detail": INVALID_TOKEN if token else UNAUTHENTICATED},
                headers={"WWW-Authenticate": "Bearer"},
            )
        scope.setdefault("state", {})["rm365_principal"] = (token, principal)
        return None


def _too_large(limit: int) -> dict[str, Any]:
    return {"detail": f"the request body is larger than this route takes ({limit} bytes)", "max_bytes": limit}


def _refusal(field: str, bad: str, loc: list[Any]) -> dict[str, Any]:
    return {"detail": f"{field}: contains a control character ({bad})", "field": field, "loc": loc}


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole body, or None once it passes ``limit`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Any, limit: int) -> Any:
    """``receive`` that stops a streamed body (uploads) at ``limit`` with a 413."""
    size = 0

    async def counting() -> Any:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise HTTPException(413, _too_large(limit)["detail"])
        return message

    return counting


# JSON escapes (\u0000, \ud800), a raw DEL, or a raw C1 control in UTF-8: only then parse.
_SUSPECT = re.compile(rb"\\u|\x7f|\xc2[\x80-\x9f]")


def _body_problem(body: bytes, *, form: bool) -> dict[str, Any] | None:
    if form:
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            bad = control_character(name) or control_character(value)
            if bad is not None:
                return _refusal(name, bad, ["body", name])
        return None
    if not _SUSPECT.search(body):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # malformed JSON: the route's own parsing answers it
    found = find_control_character(data)
    if found is None:
        return None
    path, bad = found
    field = ".".join(str(part) for part in path) or "body"
    return _refusal(field, bad, ["body", *path])


# -- the one error shape ------------------------------------------------------------------
def _where(loc: Any) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI, security_headers: list[tuple[bytes, bytes]]) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if isinstance(exc.detail, str):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        return JSONResponse(
            {"detail": str(exc.detail), "errors": exc.detail}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")}
            for e in exc.errors()
        ]
        message = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors) or "invalid request"
        field = _where(errors[0]["loc"]) if errors else "body"
        return JSONResponse({"detail": message, "field": field, "errors": errors}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # Answered outside the middleware stack: the headers every answer carries go here too.
        request_id = getattr(request.state, "request_id", "-")
        log.exception("unhandled error in %s %s (request %s)", request.method, request.url.path, request_id)
        headers = {name.decode(): value.decode() for name, value in security_headers}
        return JSONResponse(
            {"detail": f"internal error (request id {request_id})"},
            status_code=500,
            headers={"X-Request-ID": request_id, **headers},
        )


ERROR_RESPONSES = {
    "400": "The request could not be read",
    "401": "No valid access token",
    "403": "The caller lacks the tab (or the right) this needs",
    "404": "Not found",
    "409": "Conflicts with the current state",
    "412": "The resource changed since it was read (If-Match)",
    "413": "The body is larger than this route takes",
    "422": "Invalid input: `field` names where",
    "428": "A version (If-Match) is required",
    "429": "Too many attempts: wait `Retry-After` seconds",
}

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "Every 4xx answer. `detail` is a readable message; further keys depend on the refusal.",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the input at fault (422)"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def document_errors(app: FastAPI) -> None:
    """Every operation of the OpenAPI document lists the error answers with the one shape
    (plugin routes included: this runs on the finished document)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for status, description in ERROR_RESPONSES.items():
                    operation["responses"][status] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
