"""API v1 for apps and operators, beside the pipeline's hook in one FastAPI app, and the API's error format.

An app backend (scope `app`) acts for its users and says who: every request names the acting user in
`X-Acting-User`, which the use cases record in the audit log; a user may read and change only their own cameo's
uses and receipts (operators may act for anyone). A video's full record goes to its creator, the owners in it and
operators; anyone else gets its published facts, and a video that is not published is unknown to them
(`safety.access`; the README's access table lists every route). Operators (scope `operator`) manage the hash banks
and protected people. Errors are `application/problem+json` (RFC 9457) with a stable `type` per kind of error,
listed in `PROBLEM_TYPES`; `detail` says what went wrong and never names an internal path.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from safety.access import Viewer
from safety.domain import AgeBand, ConsentLevel
from safety.edges.views import to_json
from safety.errors import (
    ConfigurationError,
    ConflictError,
    InvalidMediaError,
    SafetyError,
    StorageError,
    SubmissionError,
    UnknownSubjectError,
    UnknownUserError,
    UnknownVideoError,
)
from safety.handles import normalise_handle
from safety.records import ApiClient, BankName, ProtectionKind, Scope
from safety.wiring import CameoGuard

PROBLEM_BASE = "https://cameoguard.dev/problems/"
PROBLEM_TYPES: dict[str, str] = {
    "unknown-user": "the handle is not registered",
    "unknown-video": "there is no such video",
    "purged": "the video was purged; what it was is not served",
    "not-found": "there is no such resource",
    "invalid-media": "the file is missing, unreadable or not a video",
    "invalid-request": "the request cannot be decided on as given",
    "conflict": "the request contradicts stored state",
    "unauthorized": "no token, or an unknown or revoked one",
    "forbidden": "the token lacks the scope, or the acting user may not do this",
    "path-refused": "a named file lies outside the allowed folders",
    "too-large": "the request body is over the limit",
    "too-slow": "the request body did not arrive in time",
    "rate-limited": "too many requests; see Retry-After",
    "queue-full": "too many submissions are waiting; see Retry-After",
    "storage": "the database or the file store failed; retry later",
    "configuration": "the service is misconfigured",
    "internal": "an unexpected error",
    "method-not-allowed": "the route does not take this method",
    "range-not-satisfiable": "the requested byte range lies outside the file",
    "not-ready": "this process is not ready to take work yet (loading, or its database or broker is unreachable)",
}
_BY_STATUS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    408: "too-slow",
    409: "conflict",
    413: "too-large",
    416: "range-not-satisfiable",
    422: "invalid-request",
    429: "rate-limited",
    503: "storage",
}


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:;,'\"()]+/)+([^\s/:;,'\"()]+)")


def without_paths(detail: str) -> str:
    """The message with every absolute path cut to its last part: a client never learns the server's folders."""
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1), detail)


def problem(status: int, kind: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An `application/problem+json` response; `kind` is a key of `PROBLEM_TYPES`."""
    body = {
        "type": PROBLEM_BASE + kind,
        "title": PROBLEM_TYPES.get(kind, kind),
        "status": status,
        "detail": without_paths(detail),
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def problem_kind(exc: SafetyError) -> str:
    if exc.__class__.__name__ == "QueueFull":
        return "queue-full"
    if exc.__class__.__name__ == "PathRefused":
        return "path-refused"
    for cls, kind in (
        (UnknownUserError, "unknown-user"),
        (UnknownVideoError, "unknown-video"),
        (UnknownSubjectError, "not-found"),
        (InvalidMediaError, "invalid-media"),
        (SubmissionError, "invalid-request"),
        (ConflictError, "conflict"),
        (StorageError, "storage"),
        (ConfigurationError, "configuration"),
    ):
        if isinstance(exc, cls):
            return kind
    return "internal"


class Problem(BaseModel):
    """An error (RFC 9457), as every endpoint answers one."""

    type: str = Field(examples=[PROBLEM_BASE + "unknown-video"], description="Stable; see PROBLEM_TYPES.")
    title: str = Field(examples=["there is no such video"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no such video: vid_0123"])


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": PROBLEM_TYPES[kind]}
    for status, kind in (
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not-found"),
        (409, "conflict"),
        (422, "invalid-request"),
        (429, "rate-limited"),
        (503, "storage"),
    )
}
"""The errors any endpoint may answer, declared once for the OpenAPI document."""


class SubmissionAccepted(BaseModel):
    """What `POST /v1/submissions` answers (202), and the start of `GET /v1/submissions/{id}`."""

    submission_id: str = Field(examples=["sub_4f1c2a9e0b7d3c5e6a81"])
    video_id: str = Field(examples=["vid_9a8b7c6d5e4f3a2b1c0d"])
    status: str = Field(examples=["queued"], description="queued, running, done or failed")
    decision: dict[str, Any] | None = Field(default=None, description="The decision JSON, once done.")
    error: str | None = Field(default=None, description="Why it failed (input that cannot be decided on).")
    attempts: int = Field(examples=[0])
    created_at: str
    updated_at: str


class CallbackAttempt(BaseModel):
    """One POST of the outcome to the callback URL."""

    attempt: int
    status_code: int | None
    error: str | None
    at: str


class SubmissionStatus(SubmissionAccepted):
    """What `GET /v1/submissions/{id}` answers."""

    callbacks: list[CallbackAttempt] = Field(default_factory=list)


def install_problem_handlers(app: FastAPI) -> None:
    """Every HTTP error the framework raises (auth, scope, validation, limits) as problem+json too."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = _BY_STATUS.get(exc.status_code, "internal")
        return problem(exc.status_code, kind, str(exc.detail), dict(exc.headers or {}))


class UserOut(BaseModel):
    """A registered user."""

    handle: str = Field(examples=["maya"])
    age_band: str = Field(examples=["adult"], description="adult or teen")


class FollowOut(BaseModel):
    """A follow, made or ended."""

    follower: str = Field(examples=["maya"])
    followee: str = Field(examples=["theo"])
    created: bool | None = Field(default=None, description="False when the follow existed already.")
    purged: list[dict[str, Any]] = Field(default_factory=list, description="Receipts of what unfollowing purged.")


class CameoUse(BaseModel):
    """One video the owner appears in."""

    video_id: str = Field(examples=["vid_9a8b7c6d5e4f3a2b1c0d"])
    creator: str = Field(examples=["theo"])
    status: str = Field(
        examples=["published"],
        description="checking, published, held, pending_owner (waits for owners who approve each use), blocked, purged",
    )
    declared: bool = Field(description="The creator declared the owner; false when the gate identified them.")
    prompt: str
    remix_of: str | None
    created_at: str


class CameoUses(BaseModel):
    """`GET /v1/users/{handle}/cameo/uses`."""

    owner: str
    uses: list[CameoUse]


class Receipt(BaseModel):
    """What a purge removed, for the owner."""

    receipt_id: str = Field(examples=["pj_0123456789abcdef0123"])
    owner: str
    creator: str | None
    reason: str = Field(examples=["owner_removed"])
    purged: list[str]
    at: str
    files_removed: int


class Receipts(BaseModel):
    """`GET /v1/users/{handle}/receipts`."""

    owner: str
    receipts: list[Receipt]


class _Open(BaseModel):
    """A response whose documented fields are always there; more may be added without breaking clients."""

    model_config = ConfigDict(extra="allow")


class ReasonOut(_Open):
    code: str = Field(examples=["likeness.no_consent"])
    action: str = Field(examples=["block"], description="publish, review or block")
    severity: int
    message: str
    check: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class DecisionOut(_Open):
    """The gate's decision (`POST /v1/check`, and `decision` of a done submission)."""

    video_id: str
    decision_id: str
    decision: str = Field(examples=["publish"], description="publish, review or block")
    status: str = Field(examples=["published"])
    reasons: list[ReasonOut]
    scores: dict[str, float]
    checks_run: list[str]
    policy: str = Field(examples=["default@3"])
    timings_ms: dict[str, float]


class PublishedVideoOut(_Open):
    """A published video's public facts (`GET /v1/videos/{id}` for a caller who is neither its creator, an owner
    in it nor an operator)."""

    video_id: str
    creator: str
    status: str = Field(examples=["published"])
    created_at: str
    remix_of: str | None = Field(description="The parent, when it is published (or the caller's own).")
    remixes: list[str] = Field(description="Published remixes, and the caller's own.")
    provenance: dict[str, Any] = Field(examples=[{"registry": "live", "c2pa_signed": True}])
    file_url: str


class VideoOut(_Open):
    """A video with its decisions (`GET /v1/videos/{id}` for its creator, an owner in it or an operator)."""

    video_id: str
    creator: str
    prompt: str
    status: str
    remix_of: str | None
    remixes: list[str]
    cameos: list[str]
    decision: str | None
    decisions: list[dict[str, Any]]
    file_url: str | None = Field(description="Where the signed file downloads, once published.")


class ChallengeOut(_Open):
    challenge_id: str
    digits: str = Field(examples=["4 1 9 7"])
    turns: list[str]
    expires_at: str


class EnrollmentOut(_Open):
    cameo_id: str | None
    status: str = Field(examples=["active"], description="active or refused")
    reasons: list[dict[str, Any]]


class CameoDeletionOut(_Open):
    cameo_id: str
    deleted: bool
    kept_protection: bool
    purged: list[str]
    receipts: list[Receipt]


class BankItemOut(_Open):
    id: str
    bank: str = Field(examples=["known_bad"])
    note: str
    hashes: int
    created_at: str


class ProtectedOut(_Open):
    id: str
    name: str = Field(examples=["A Public Figure"])
    kind: str = Field(examples=["public_figure"])
    templates: int


class NewUser(BaseModel):
    """`POST /v1/users`."""

    handle: str = Field(min_length=1, max_length=64, examples=["maya"])
    teen: bool = Field(default=False, description="A teen account: the teen policy pack applies.")


class ConsentLevelBody(BaseModel):
    """`PUT /v1/users/{handle}/cameo/level`."""

    level: ConsentLevel = Field(examples=["mutuals"])
    approve_each_use: bool | None = Field(
        default=None, description="The owner approves every video before it publishes (unchanged when absent)."
    )


class UseAnswerBody(BaseModel):
    """`POST /v1/users/{handle}/cameo/requests/{video_id}`: the owner's answer."""

    approve: bool = Field(examples=[True])


class ReportBody(BaseModel):
    """`POST /v1/videos/{video_id}/reports`."""

    reason: str = Field(min_length=1, max_length=2000, examples=["this shows me without my consent"])


def viewer_of(client: ApiClient, acting: str | None) -> Viewer:
    """Who asks: an operator token sees every video; an app token's acting user is the user it names; a token
    without the `app` scope (a pipeline's) names nobody, whatever header it sends."""
    user = normalise_handle(acting) if acting and Scope.APP in client.scopes else None
    return Viewer(user, operator=Scope.OPERATOR in client.scopes)


def register_app_routes(app: FastAPI, services: CameoGuard, scoped: Callable[[Scope], Any], any_client: Any) -> None:
    """The routes for app backends and operators."""
    app_client = scoped(Scope.APP)

    def acting_for(client: ApiClient, acting: str | None, handle: str, action: str = "") -> str:
        """The acting user, who must be `handle` unless the client is an operator; with `action`, the access is
        audited (the use cases audit every change themselves)."""
        if not acting:
            raise HTTPException(status_code=422, detail="name the acting user in X-Acting-User")
        if acting != handle and Scope.OPERATOR not in client.scopes:
            raise HTTPException(status_code=403, detail=f"`{acting}` may not act on `{handle}`'s cameo")
        if action:
            services.accounts.record_acting(client.name, acting, action, handle)
        return acting

    @app.post("/v1/users", status_code=201, tags=["users"], response_model=UserOut)
    def create_user(body: NewUser, _client: ApiClient = app_client) -> dict[str, Any]:
        """Register a user (a teen with `teen: true`)."""
        user = services.accounts.add_user(body.handle, AgeBand.TEEN if body.teen else AgeBand.ADULT)
        return {"handle": user.handle, "age_band": user.age_band.value}

    @app.delete("/v1/users/{handle}", tags=["users"])
    def delete_user(
        handle: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Delete the account: its cameo, every video it made (and what derives from them), its follows."""
        acting_for(client, x_acting_user, handle)
        receipts = services.cameos.delete_account(handle)
        return {"handle": handle, "deleted": True, "purged": [to_json(r) for r in receipts]}

    @app.put("/v1/users/{handle}/follows/{other}", tags=["users"], response_model=FollowOut)
    def follow(
        handle: str, other: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """`handle` follows `other` (mutual follows can use a `mutuals` cameo)."""
        acting_for(client, x_acting_user, handle)
        return {"follower": handle, "followee": other, "created": services.accounts.follow(handle, other)}

    @app.delete("/v1/users/{handle}/follows/{other}", tags=["users"], response_model=FollowOut)
    def unfollow(
        handle: str, other: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """`handle` stops following `other`; videos only their mutual follow allowed are purged (receipts)."""
        acting_for(client, x_acting_user, handle)
        receipts = services.cameos.unfollow(handle, other)
        return {"follower": handle, "followee": other, "purged": [to_json(r) for r in receipts]}

    @app.get("/v1/users/{handle}/cameo/uses", tags=["owner"], response_model=CameoUses)
    def cameo_uses(
        handle: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Every video the owner appears in, declared or identified, in any status, by any creator."""
        acting_for(client, x_acting_user, handle, "cameo_uses_read")
        return {"owner": handle, "uses": [to_json(use) for use in services.cameos.cameo_uses(handle)]}

    @app.delete("/v1/users/{handle}/cameo/uses/{video_id}", tags=["owner"], response_model=Receipt)
    def remove_use(
        handle: str, video_id: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> Any:
        """The owner removes one video they appear in, and everything derived from it; the receipt."""
        acting_for(client, x_acting_user, handle)
        return to_json(services.cameos.remove_video(handle, video_id))

    @app.get("/v1/users/{handle}/receipts", tags=["owner"], response_model=Receipts)
    def receipts(handle: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)) -> Any:
        """Every purge receipt the owner was given."""
        acting_for(client, x_acting_user, handle, "receipts_read")
        return {"owner": handle, "receipts": [to_json(r) for r in services.cameos.receipts(handle)]}

    @app.put("/v1/users/{handle}/cameo/level", tags=["cameos"])
    def set_level(
        handle: str, body: ConsentLevelBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> Any:
        """Who may use the cameo; videos the new level no longer allows are purged (their receipts)."""
        acting_for(client, x_acting_user, handle)
        purged = services.cameos.set_consent_level(handle, body.level)
        if body.approve_each_use is not None:
            services.cameos.set_approve_each_use(handle, body.approve_each_use)
        current = services.cameos.cameo_status(handle)
        return {
            "level": body.level.value,
            "approve_each_use": bool(current and current.approve_each_use),
            "purged": [to_json(r) for r in purged],
        }

    @app.get("/v1/users/{handle}/cameo/requests", tags=["owner"])
    def use_requests(
        handle: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Videos waiting for the owner's approval (an owner who approves each use)."""
        acting_for(client, x_acting_user, handle, "use_requests_read")
        return {"owner": handle, "requests": [to_json(r) for r in services.use_requests.pending(handle)]}

    @app.post("/v1/users/{handle}/cameo/requests/{video_id}", tags=["owner"])
    def answer_use(
        handle: str,
        video_id: str,
        body: UseAnswerBody,
        client: ApiClient = app_client,
        x_acting_user: str | None = Header(None),
    ) -> dict[str, Any]:
        """Approve or decline one video: it publishes once every owner asked approved; a decline blocks it."""
        acting_for(client, x_acting_user, handle)
        answer = services.use_requests.approve if body.approve else services.use_requests.decline
        result = answer(handle, video_id)
        status = result.status.value if result is not None else services.videos.show(video_id).video.status.value
        return {"owner": handle, "video_id": video_id, "approved": body.approve, "status": status}

    @app.post("/v1/videos/{video_id}/reports", status_code=201, tags=["videos"])
    def report(
        video_id: str, body: ReportBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """A user reports a video they may know of (published, or theirs); it goes to the review queue."""
        if not x_acting_user:
            raise HTTPException(status_code=422, detail="name the reporting user in X-Acting-User")
        viewer = viewer_of(client, x_acting_user)
        item = services.videos.report(video_id, x_acting_user, body.reason, viewer=viewer)
        return {"video_id": video_id, "review_item_id": item}

    @app.get("/v1/videos/{video_id}", tags=["videos"], response_model=VideoOut | PublishedVideoOut)
    def video(video_id: str, client: ApiClient = any_client, x_acting_user: str | None = Header(None)) -> Any:
        """The full record (prompt, status, decisions) for the video's creator, an owner in it or an operator;
        the published facts for anyone else, and 404 when it is not published; `file_url` downloads it once
        published."""
        view = to_json(services.videos.show_to(video_id, viewer_of(client, x_acting_user)))
        # The server's own file path is no business of an app: it gets the download URL instead.
        published = view.pop("published_path", None) if "published_path" in view else view["status"] == "published"
        view["file_url"] = f"/v1/videos/{video_id}/file" if published else None
        return view

    @app.get("/v1/videos/{video_id}/file", tags=["videos"], response_class=FileResponse)
    def video_file(video_id: str, client: ApiClient = any_client, x_acting_user: str | None = Header(None)) -> Response:
        """The signed, published file (range requests supported); unless the video is published, 409 for its
        creator, its owners and operators and 404 for anyone else."""
        path = services.videos.published_file(video_id, viewer_of(client, x_acting_user))
        return FileResponse(path, media_type="video/mp4", filename=f"{video_id}.mp4")


def multipart_body(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """`openapi_extra` declaring a multipart upload a route reads itself."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


_FILE = {"type": "string", "format": "binary"}


class UserBody(BaseModel):
    """A user the owner approves, blocks or revokes."""

    user: str = Field(min_length=1, max_length=64, examples=["theo"])


class RestrictionBody(BaseModel):
    """What the owner's likeness may not be used for, in their words."""

    text: str = Field(min_length=1, max_length=500, examples=["no politics"])


class AppealBody(BaseModel):
    """`POST /v1/videos/{video_id}/appeals`."""

    text: str = Field(min_length=1, max_length=2000, examples=["this is my own face; I consented"])


@asynccontextmanager
async def uploaded_files(
    request: Request, field: str, scratch_root: Path
) -> AsyncIterator[tuple[list[Path], dict[str, str]]]:
    """The multipart files of `field`, saved privately (the body size is capped by the app's middleware), with
    the form's text fields; removed afterwards."""
    form = await request.form()
    try:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise RequestValidationError([{"loc": ("body", field), "msg": "Field required", "type": "missing"}])
        scratch = Path(tempfile.mkdtemp(prefix="api-", dir=scratch_root))
        try:
            saved = []
            for index, upload in enumerate(files):
                suffix = Path(upload.filename or "").suffix.lower()[:8]
                target = scratch / f"{field}-{index}{suffix}"
                with target.open("wb") as handle:
                    shutil.copyfileobj(upload.file, handle, 1 << 20)
                saved.append(target)
            yield saved, {k: v for k, v in form.items() if isinstance(v, str)}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        # Parsed by hand, so closed by hand: the upload's spooled file is not left to the garbage collector.
        await form.close()


def register_cameo_and_operator_routes(
    app: FastAPI, services: CameoGuard, scoped: Callable[[Scope], Any], any_client: Any
) -> None:
    """Cameo management for app backends, appeals, verify by upload, and the operators' banks and protected
    people."""
    app_client = scoped(Scope.APP)
    operator = scoped(Scope.OPERATOR)
    scratch = services.media.area("tmp")

    def owner(client: ApiClient, acting: str | None, handle: str) -> None:
        if not acting:
            raise HTTPException(status_code=422, detail="name the acting user in X-Acting-User")
        if acting != handle and Scope.OPERATOR not in client.scopes:
            raise HTTPException(status_code=403, detail=f"`{acting}` may not act on `{handle}`'s cameo")

    @app.post("/v1/users/{handle}/cameo/challenge", status_code=201, tags=["cameos"], response_model=ChallengeOut)
    def challenge(handle: str, client: ApiClient = app_client, x_acting_user: str | None = Header(None)) -> Any:
        """A challenge for the verification video (digits to say, a head turn)."""
        owner(client, x_acting_user, handle)
        return to_json(services.cameos.issue_challenge(handle))

    @app.post(
        "/v1/users/{handle}/cameo",
        status_code=201,
        tags=["cameos"],
        response_model=EnrollmentOut,
        openapi_extra=multipart_body(
            "The verification video, and the challenge it answers.",
            {"video": _FILE, "challenge_id": {"type": "string"}},
            ["video"],
        ),
    )
    async def enroll(
        handle: str, request: Request, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> Any:
        """Enroll a cameo from a verification video (multipart field `video`, optional `challenge_id`)."""
        owner(client, x_acting_user, handle)
        async with uploaded_files(request, "video", scratch) as (files, fields):
            result = await run_in_threadpool(
                services.cameos.enroll_cameo, handle, files[0], fields.get("challenge_id") or None
            )
        return to_json(result)

    @app.delete("/v1/users/{handle}/cameo", tags=["cameos"], response_model=CameoDeletionOut)
    def delete_cameo(
        handle: str,
        client: ApiClient = app_client,
        x_acting_user: str | None = Header(None),
        keep_protection: bool = False,
    ) -> Any:
        """Delete the cameo; others' videos of the owner are purged (their receipts)."""
        owner(client, x_acting_user, handle)
        return to_json(services.cameos.delete_cameo(handle, keep_protection=keep_protection))

    @app.post("/v1/users/{handle}/cameo/approved", tags=["cameos"])
    def approve(
        handle: str, body: UserBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Let one user use the cameo (for the `approved` level)."""
        owner(client, x_acting_user, handle)
        services.cameos.approve(handle, body.user)
        return {"owner": handle, "approved": body.user}

    @app.post("/v1/users/{handle}/cameo/revoked", tags=["cameos"])
    def revoke(
        handle: str, body: UserBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Withdraw one user's permission; their videos of the owner are purged."""
        owner(client, x_acting_user, handle)
        return {"owner": handle, "purged": [to_json(r) for r in services.cameos.revoke(handle, body.user)]}

    @app.post("/v1/users/{handle}/cameo/blocked", tags=["cameos"])
    def block(
        handle: str, body: UserBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Block one user whatever the level; their videos of the owner are purged."""
        owner(client, x_acting_user, handle)
        return {"owner": handle, "purged": [to_json(r) for r in services.cameos.block(handle, body.user)]}

    @app.put("/v1/users/{handle}/cameo/restrictions", tags=["cameos"])
    def restrict(
        handle: str, body: RestrictionBody, client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> Any:
        """What the likeness may not be used for, in the owner's words (any language): the answer says what was
        understood (`topics` of the taxonomy, enforced on meaning, and free-text `phrases`); the owner's existing
        videos are checked again."""
        owner(client, x_acting_user, handle)
        result = services.cameos.restrict(handle, body.text)
        return {
            "owner": handle,
            "topics": list(result.topics),
            "phrases": list(result.phrases),
            "purged": [to_json(r) for r in result.receipts],
        }

    @app.post("/v1/videos/{video_id}/appeals", status_code=201, tags=["videos"])
    def appeal(
        video_id: str, body: AppealBody, _client: ApiClient = app_client, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """The creator appeals a block; a senior reviewer upholds or overturns."""
        if not x_acting_user:
            raise HTTPException(status_code=422, detail="name the appealing creator in X-Acting-User")
        item = services.review_service().appeal(video_id, x_acting_user, body.text)
        return {"video_id": video_id, "review_item_id": item}

    @app.post(
        "/v1/banks/{bank}",
        status_code=201,
        tags=["operator"],
        response_model=BankItemOut,
        openapi_extra=multipart_body(
            "The video whose frames to bank, and why.", {"video": _FILE, "note": {"type": "string"}}, ["video"]
        ),
    )
    async def bank_add(bank: BankName, request: Request, _client: ApiClient = operator) -> Any:
        """Add a video (multipart field `video`, optional `note`) to a hash bank: `known_bad` or `purged`."""
        async with uploaded_files(request, "video", scratch) as (files, fields):
            entry = await run_in_threadpool(services.tracing.bank_add, bank.value, files[0], fields.get("note", ""))
        return to_json(entry)

    @app.get("/v1/banks", tags=["operator"])
    def bank_list(_client: ApiClient = operator, bank: BankName | None = None) -> dict[str, Any]:
        """The banks' items (one bank with `?bank=`)."""
        return {"items": [to_json(e) for e in services.tracing.bank_list(bank.value if bank else None)]}

    @app.delete("/v1/banks/items/{entry_id}", tags=["operator"])
    def bank_remove(entry_id: str, _client: ApiClient = operator) -> dict[str, Any]:
        services.tracing.bank_remove(entry_id)
        return {"removed": entry_id}

    @app.post(
        "/v1/protected",
        status_code=201,
        tags=["operator"],
        response_model=ProtectedOut,
        openapi_extra=multipart_body(
            "Photos of the person (repeat `image`), their name and the kind of protection.",
            {
                "image": {"type": "array", "items": _FILE},
                "name": {"type": "string", "minLength": 1},
                "kind": {"type": "string", "enum": ["public_figure", "estate", "opt_out"]},
            },
            ["image", "name"],
        ),
    )
    async def protect(request: Request, _client: ApiClient = operator) -> Any:
        """Protect a person by photos (multipart fields `image`, repeated, and `name`; optional `kind`)."""
        async with uploaded_files(request, "image", scratch) as (files, fields):
            if not fields.get("name"):
                raise RequestValidationError([{"loc": ("body", "name"), "msg": "Field required", "type": "missing"}])
            try:
                kind = ProtectionKind(fields.get("kind") or ProtectionKind.PUBLIC_FIGURE.value)
            except ValueError:
                raise HTTPException(status_code=422, detail="kind is public_figure, estate or opt_out") from None
            result = await run_in_threadpool(services.protection.protect, fields["name"], files, kind.value)
        return to_json(result)

    @app.get("/v1/protected", tags=["operator"])
    def protected(_client: ApiClient = operator) -> dict[str, Any]:
        return {"people": [to_json(p) for p in services.protection.protected_people()]}

    @app.delete("/v1/protected/{who}", tags=["operator"])
    def unprotect(who: str, _client: ApiClient = operator) -> Any:
        return to_json(services.protection.unprotect(who))
