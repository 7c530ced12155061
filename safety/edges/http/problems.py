"""Every error answer of the HTTP app as `application/problem+json` (RFC 9457), whoever produced it.

`errors.install_problem_handlers` turns the errors raised by the routes and their dependencies into problems; this
module covers the rest. Validation errors list every field that failed (`errors`: `field`, `message`, `type`),
whether FastAPI or a route validated the body. An unexpected exception answers 500 with a reference that is
logged beside the traceback, and nothing of the exception itself (no path, no traceback). `ProblemResponses`,
outermost of the app's middleware, rewrites any error answer that is still not a problem (the router's own 404 and
405, a file's 416, a plain-text 400 for a malformed range), keeping its status and headers.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from safety.edges.http.errors import BY_STATUS, PROBLEM_BASE, PROBLEM_TYPES, without_paths

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("cameoguard.http")


def kind_for_status(status: int) -> str:
    """The stable problem type of an HTTP status that carries no more specific one."""
    return BY_STATUS.get(status, "internal" if status >= 500 else "invalid-request")


def problem_body(status: int, kind: str, detail: str, **extensions: Any) -> dict[str, Any]:
    """A problem document; `extensions` are extra members (RFC 9457 section 3.2)."""
    return {
        "type": PROBLEM_BASE + kind,
        "title": PROBLEM_TYPES.get(kind, kind),
        "status": status,
        "detail": without_paths(detail),
        **extensions,
    }


def problem_response(
    status: int, kind: str, detail: str, headers: Mapping[str, str] | None = None, **extensions: Any
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, kind, detail, **extensions),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: Sequence[str | int] = ()) -> list[dict[str, str]]:
    """Pydantic's errors as `{"field", "message", "type"}`; `field` is the dotted location (`body.creator`)."""
    listed = []
    for error in errors:
        location = [*prefix, *error.get("loc", ())]
        listed.append(
            {
                "field": ".".join(str(part) for part in location) or "body",
                "message": without_paths(str(error.get("msg", "invalid"))),
                "type": str(error.get("type", "value_error")),
            }
        )
    return listed


def invalid_body(exc: ValidationError) -> RequestValidationError:
    """A route's own validation of its body, raised as FastAPI's would be (so it answers the same problem)."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)])


def missing_field(name: str) -> RequestValidationError:
    """A required form or body field that is absent."""
    return RequestValidationError([{"loc": ("body", name), "msg": "Field required", "type": "missing"}])


def install_problems(app: FastAPI) -> None:
    """Validation errors and unexpected exceptions as problems, and the middleware that makes every other error
    answer one. Call after `errors.install_problem_handlers`."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "the request is not valid"
        return problem_response(422, "invalid-request", summary, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = f"err_{secrets.token_hex(6)}"
        # The traceback goes to the log under the reference; the caller gets the reference only.
        log.error("unexpected error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
        return problem_response(500, "internal", f"an unexpected error; reference {reference}", reference=reference)

    app.add_middleware(ProblemResponses)


class ProblemResponses:
    """ASGI middleware: an error answer (status 400 and up) that is not `application/problem+json` is rewritten as
    one with the same status and headers; its text, if short and plain, becomes the `detail`."""

    def __init__(self, app: ASGIApp, *, max_detail: int = 300) -> None:
        self.app = app
        self.max_detail = max_detail

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def rewriting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                if message["status"] >= 400 and not headers.get("content-type", "").startswith(PROBLEM_JSON):
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            await send_problem(start, bytes(body))

        async def send_problem(original: Message, text: bytes) -> None:
            status = int(original["status"])
            kept = [
                (k, v)
                for k, v in original.get("headers", [])
                if k.lower() not in (b"content-type", b"content-length", b"content-encoding")
            ]
            plain = text.decode("utf-8", "replace").strip()
            detail = plain if plain and len(plain) <= self.max_detail and not plain.startswith(("{", "<")) else ""
            kind = kind_for_status(status)
            payload = json.dumps(problem_body(status, kind, detail or PROBLEM_TYPES[kind])).encode()
            headers = [*kept, (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload if scope.get("method") != "HEAD" else b""})

        await self.app(scope, receive, rewriting)
