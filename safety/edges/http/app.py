"""The pre-publish hook over HTTP (FastAPI).

`GET /health` says the service is up. `POST /v1/check` takes the JSON submission or a multipart upload and
answers the decision JSON; `POST /v1/verify` traces a file. The hook is not open: callers send a per-client
bearer token (only its sha256 is stored; `cameoguard hook token NAME` creates or rotates one), each client has a
request limit per minute, bodies are size-limited, and `video_path` / `input_image_path` must lie inside the
configured folders. Errors are translated here: 401 no or bad token, 403 a path outside the allowed folders,
413 too large, 429 too many requests, 422 bad input, 404 unknown video, 409 conflict, 503 storage trouble.
The `CameoGuard` (and any models) is built once, with the app. Authentication is one FastAPI dependency and
every upload goes through one helper with one size cap. Every error answer is `application/problem+json`
(`problems.py`). `serve` opens the port before the models are loaded: they load on a background thread and
`/ready` answers 503 until they have.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from safety.domain import Submission
from safety.edges.http.problems import (
    PROBLEM_JSON,
    install_problems,
    invalid_body,
    missing_field,
    problem_response,
)
from safety.edges.http.resolution import register_resolution_routes
from safety.edges.http.routes import (
    PROBLEM_RESPONSES,
    DecisionOut,
    SubmissionAccepted,
    SubmissionStatus,
    install_problem_handlers,
    problem,
    problem_kind,
    register_app_routes,
    register_cameo_and_operator_routes,
)
from safety.edges.operability import prometheus_text, readiness
from safety.edges.views import to_json
from safety.errors import (
    ConfigurationError,
    ConflictError,
    SafetyError,
    StorageError,
    SubmissionError,
    UnknownSubjectError,
    UnknownVideoError,
)
from safety.records import ApiClient, Scope, SubmissionRecord
from safety.safe_files import PathRefused, copy_allowed_file
from safety.usecases.submissions import QueueFull
from safety.wiring import CameoGuard


class CheckRequest(BaseModel):
    """The JSON body of `POST /v1/check`."""

    creator: str = Field(min_length=1, max_length=64)
    prompt: str = Field(max_length=10000)
    video_path: str = Field(min_length=1, max_length=4096)
    cameos: list[str] = Field(default_factory=list, max_length=16)
    remix_of: str | None = None
    input_image_path: str | None = None


class SubmissionRequest(CheckRequest):
    """The JSON body of `POST /v1/submissions`: a check, answered later."""

    callback_url: str | None = Field(default=None, max_length=2048)


class VerifyRequest(BaseModel):
    """The JSON body of `POST /v1/verify`: a file the server may read (inside the allowed folders)."""

    path: str = Field(min_length=1, max_length=4096)


def _upload_form(description: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A multipart form in the OpenAPI document: the `video` file and text fields."""
    properties = {"video": {"type": "string", "format": "binary", "description": description}, **fields}
    return {"type": "object", "properties": properties, "required": ["video", *required]}


_CHECK_FORM_FIELDS: dict[str, Any] = {
    "creator": {"type": "string", "minLength": 1, "maxLength": 64},
    "prompt": {"type": "string", "maxLength": 10000},
    "cameos": {"type": "array", "items": {"type": "string"}, "description": "Declared cameo owners (repeated)."},
    "remix_of": {"type": "string", "description": "The video this one remixes."},
}


def request_body(json_model: type[BaseModel], form: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` declaring a body a route reads itself: JSON (`json_model`) or a multipart upload (`form`)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": json_model.model_json_schema()},
                "multipart/form-data": {"schema": form},
            },
        }
    }


CHECK_BODY = request_body(
    CheckRequest,
    _upload_form("The video to check.", _CHECK_FORM_FIELDS, ["creator"]),
    "A file the server may read (`video_path` inside CAMEOGUARD_HOOK_ALLOWED_DIRS), or an upload.",
)
SUBMISSION_BODY = request_body(
    SubmissionRequest,
    _upload_form(
        "The video to check.",
        {**_CHECK_FORM_FIELDS, "callback_url": {"type": "string", "maxLength": 2048}},
        ["creator"],
    ),
    "As `POST /v1/check`, with an optional `callback_url` for the outcome.",
)
VERIFY_BODY = request_body(
    VerifyRequest,
    _upload_form("The copy to trace.", {}, []),
    "A file the server may read (`path` inside CAMEOGUARD_HOOK_ALLOWED_DIRS), or an upload.",
)

log = logging.getLogger("cameoguard.http")


def _status_for(exc: SafetyError) -> int:
    if isinstance(exc, QueueFull):
        return 429
    if isinstance(exc, PathRefused):
        return 403
    # Something that is not there, or not there for this caller (the use cases answer alike), is a 404 whatever
    # named it: a path, or a request the caller was never asked.
    if isinstance(exc, UnknownVideoError | UnknownSubjectError):
        return 404
    if isinstance(exc, SubmissionError):
        return 422
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, StorageError):
        return 503
    if isinstance(exc, ConfigurationError):
        return 500
    return 500


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")


class BodyTooSlow(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=408, detail="the request body did not arrive in time")


class BodyLimits:
    """ASGI middleware: counts the body bytes as they stream in (chunked bodies too, every endpoint) and gives up
    on a client that sends them too slowly. A Content-Length header is only a claim; the bytes are what count."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        received = 0

        async def limited() -> Message:
            nonlocal received
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BodyTooSlow()
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise BodyTooSlow() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


class RateLimiter:
    """A per-client token bucket: `per_minute` requests, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            self._buckets[client] = (tokens - 1.0, now)
            return True


# Declares the bearer scheme in the OpenAPI document; the token itself is read and checked in `authenticate`.
bearer = HTTPBearer(auto_error=False, description="A client token from `cameoguard hook token NAME`.")
bearer_scheme = Depends(bearer)


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(folder) for folder in folders)


class WarmUp:
    """Loads the models on a background thread once the server runs, so the port answers (and `/ready` says 503)
    while they load. A failure is kept and reported by `/ready`; the process stays not ready."""

    def __init__(self, services: CameoGuard) -> None:
        self._services = services
        self.failed: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            warmed = self._services.warm_up()
        except Exception as exc:  # noqa: BLE001 - reported by /ready and the log, never raised into the server
            self.failed = f"{exc.__class__.__name__}: {exc}"
            log.error("models failed to load: %s", self.failed)
            return
        log.info(
            "models loaded in %.1f s (%s)",
            sum(warmed.values()),
            ", ".join(f"{k} {v:.1f} s" for k, v in warmed.items()),
        )


def create_app(services: CameoGuard, *, warm_up_in_background: bool = False) -> FastAPI:
    """The hook service around an opened `CameoGuard`; with `warm_up_in_background` (`serve`), the models load on a
    thread started with the server."""
    warm_up = WarmUp(services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm_up_in_background:
            warm_up.start()
        yield

    # The docs page works offline: Swagger UI and ReDoc are served from the installed package, not a CDN.
    app = FastAPIOffline(
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
        title="cameoguard API",
        version="1",
        description="The pre-publish hook for generation pipelines, and API v1 for app backends and operators. "
        "Send `Authorization: Bearer <token>` (`cameoguard hook token NAME --scope generate|app|operator`). "
        "Errors are application/problem+json with a stable `type`.",
    )
    install_problem_handlers(app)
    settings = services.settings
    limiter = RateLimiter(settings.hook_requests_per_minute)
    # Failed tokens are limited per client address, so guessing tokens is slow whoever is guessed.
    failures = RateLimiter(settings.hook_auth_failures_per_minute)
    max_body = int(settings.hook_max_body_mb * 1024 * 1024)
    allowed = settings.allowed_video_dirs
    app.add_middleware(BodyLimits, max_bytes=max_body, timeout_s=settings.hook_body_timeout_s)
    # Added last, so it is the outermost of the app's middleware: it sees every answer.
    install_problems(app)

    def authenticate(request: Request, _bearer: Any = bearer_scheme) -> ApiClient:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        client = services.accounts.api_client(token) if token else None
        if client is None:
            address = request.client.host if request.client else "unknown"
            if not failures.allow(address):
                raise HTTPException(status_code=429, detail="too many failed authentications; wait a minute")
            raise HTTPException(status_code=401, detail="unknown or revoked token")
        # Limited per client, not per address: one pipeline behind a NAT must not starve another.
        if not limiter.allow(client.name):
            raise HTTPException(status_code=429, detail="too many requests for this client")
        # A declared length over the cap is refused before a byte is read; the middleware counts the real bytes.
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            raise HTTPException(status_code=413, detail="request body too large")
        return client

    def allowed_path(raw: str | None) -> Path | None:
        if raw is None:
            return None
        # A cheap first look at the name; the real check is on the opened descriptor (`copy_allowed_file`).
        path = Path(raw)
        if "\x00" in raw or not path.is_absolute() or not _inside(path, allowed):
            raise HTTPException(status_code=403, detail="paths must be absolute and inside the allowed folders")
        return path

    @contextmanager
    def opened_once(video: str, image: str | None) -> Iterator[tuple[Path, Path | None]]:
        """Private copies of the named files, each opened once and checked on its descriptor."""
        named_video, named_image = allowed_path(video) or Path(), allowed_path(image)
        scratch = Path(tempfile.mkdtemp(prefix="upload-", dir=services.media.area("tmp")))
        try:
            video_copy = copy_allowed_file(named_video, allowed, scratch / f"video{named_video.suffix.lower()}")
            image_copy = (
                copy_allowed_file(named_image, allowed, scratch / f"image{named_image.suffix.lower()}")
                if named_image is not None
                else None
            )
            yield video_copy, image_copy
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @app.exception_handler(SafetyError)
    async def _safety_error(_request: Request, exc: SafetyError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, QueueFull) else None
        return problem(_status_for(exc), problem_kind(exc), str(exc), headers)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "policies": [services.policies.adult.ref, services.policies.teen.ref]}

    @asynccontextmanager
    async def received_upload(request: Request, prefix: str) -> AsyncIterator[tuple[Path, dict[str, str], list[str]]]:
        """The multipart `video` field written to a private scratch file (at most `max_body` bytes), the form's
        text fields and its `cameos`; the scratch folder is removed afterwards."""
        form = await request.form()
        try:
            video = form.get("video")
            if not isinstance(video, UploadFile):
                raise missing_field("video")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            cameos = [c for c in form.getlist("cameos") if isinstance(c, str) and c]
            scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=services.media.area("tmp")))
            try:
                target = scratch / "upload.mp4"
                # No count here: `BodyLimits` already refused a body over `max_body` while it streamed in.
                with target.open("wb") as handle:
                    shutil.copyfileobj(video.file, handle, 1 << 20)
                yield target, fields, cameos
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        finally:
            # Parsed by hand, so closed by hand: the upload's spooled file is not left to the garbage collector.
            await form.close()

    authenticated = Depends(authenticate)

    def scoped(scope: Scope) -> Any:
        """A dependency: the caller's client, which must hold `scope` (403 otherwise)."""

        def check_scope(client: ApiClient = authenticated) -> ApiClient:
            if scope not in client.scopes:
                raise HTTPException(status_code=403, detail=f"this token lacks the `{scope.value}` scope")
            return client

        return Depends(check_scope)

    client_token = scoped(Scope.GENERATE)
    register_app_routes(app, services, scoped, authenticated)
    register_cameo_and_operator_routes(app, services, scoped, authenticated)
    register_resolution_routes(app, services, authenticated, RateLimiter(settings.hook_requests_per_minute))

    @app.get("/v1/checks")
    def checks(_client: ApiClient = client_token) -> dict[str, Any]:
        return {"checks": [c.name for c in services.gate.checks]}

    async def _run(submission: Submission) -> dict[str, Any]:
        # The gate blocks on models, files and the database: keep it off the event loop.
        result = await run_in_threadpool(services.videos.prepublish, submission)
        return result.to_json()

    @app.post("/v1/check", response_model=DecisionOut, openapi_extra=CHECK_BODY)
    async def check(request: Request, _client: ApiClient = client_token) -> Any:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            return await _check_upload(request)
        try:
            body = CheckRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_body(exc) from None
        with opened_once(body.video_path, body.input_image_path) as (video_path, image_path):
            submission = Submission(
                creator=body.creator,
                prompt=body.prompt,
                video_path=video_path,
                cameos=tuple(body.cameos),
                remix_of=body.remix_of,
                input_image_path=image_path,
            )
            return await _run(submission)

    async def _check_upload(request: Request) -> dict[str, Any]:
        async with received_upload(request, "upload-") as (target, fields, cameos):
            if "creator" not in fields:
                raise missing_field("creator")
            submission = Submission(
                creator=fields["creator"],
                prompt=fields.get("prompt", ""),
                video_path=target,
                cameos=tuple(cameos),
                remix_of=fields.get("remix_of") or None,
            )
            return await _run(submission)

    async def _verify(path: Path) -> Any:
        return to_json(await run_in_threadpool(services.tracing.verify, path))

    @app.post("/v1/verify", openapi_extra=VERIFY_BODY)
    async def verify(request: Request, _client: ApiClient = authenticated) -> Any:
        """Trace a file by path (JSON `{"path"}`) or by upload (multipart field `video`)."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with received_upload(request, "verify-") as (target, _fields, _cameos):
                return await _verify(target)
        try:
            body = VerifyRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_body(exc) from None
        with opened_once(body.path, None) as (video_path, _image):
            return await _verify(video_path)

    def submission_view(record: SubmissionRecord) -> dict[str, Any]:
        return {
            "submission_id": record.id,
            "video_id": record.video_id,
            "status": record.state.value,
            "decision": record.result,
            "error": record.error,
            "attempts": record.attempts,
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
        }

    @app.post("/v1/submissions", status_code=202, response_model=SubmissionAccepted, openapi_extra=SUBMISSION_BODY)
    async def submit(request: Request, client: ApiClient = client_token) -> Any:
        """Accept a video to check in the background: 202 with the ids at once; the outcome by
        `GET /v1/submissions/{id}` or a signed callback to `callback_url`."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with received_upload(request, "submit-") as (target, fields, cameos):
                if "creator" not in fields:
                    raise missing_field("creator")
                submission = Submission(
                    fields["creator"], fields.get("prompt", ""), target, tuple(cameos), fields.get("remix_of") or None
                )
                record = await run_in_threadpool(
                    services.submissions.submit, client.name, submission, callback_url=fields.get("callback_url")
                )
                return JSONResponse(submission_view(record), status_code=202)
        try:
            body = SubmissionRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise invalid_body(exc) from None
        with opened_once(body.video_path, body.input_image_path) as (video_path, image_path):
            submission = Submission(
                body.creator, body.prompt, video_path, tuple(body.cameos), body.remix_of, image_path
            )
            record = await run_in_threadpool(
                services.submissions.submit, client.name, submission, callback_url=body.callback_url
            )
        return JSONResponse(submission_view(record), status_code=202)

    @app.get("/v1/submissions/{submission_id}", response_model=SubmissionStatus)
    def submission_status(submission_id: str, client: ApiClient = client_token) -> dict[str, Any]:
        try:
            record = services.submissions.get(submission_id)
        except SubmissionError:
            raise HTTPException(status_code=404, detail="no such submission") from None
        if record.client != client.name and Scope.OPERATOR not in client.scopes:
            # Another client's submission is not this one's business, not even its existence.
            raise HTTPException(status_code=404, detail="no such submission")
        view = submission_view(record)
        view["callbacks"] = [
            {"attempt": d.attempt, "status_code": d.status_code, "error": d.error, "at": d.at.isoformat()}
            for d in services.submissions.deliveries(submission_id)
        ]
        return view

    @app.get(
        "/ready",
        responses={503: {"content": {PROBLEM_JSON: {}}, "description": "Not ready: loading, or a dependency is down."}},
    )
    def ready() -> JSONResponse:
        """Ready to take work: the models are loaded, the database answers at this version's schema, the broker (if
        any) is reachable. 503 (a problem with the same fields) otherwise, from the moment the port opens."""
        state = readiness(services)
        if warm_up.failed is not None:
            state["models_loaded"] = f"failed: {warm_up.failed}"
            state["ready"] = False
        if state["ready"]:
            return JSONResponse(state)
        waiting = [
            name
            for name in ("models_loaded", "database", "schema", "broker")
            if state.get(name) is not True and state.get(name) not in ("ok", "in-process")
        ]
        return problem_response(503, "not-ready", f"not ready: {', '.join(waiting)}", **state)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(prometheus_text(services), media_type="text/plain; version=0.0.4")

    return app
