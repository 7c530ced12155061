"""The pipeline's routes: `POST /v1/check` (the synchronous hook), `POST /v1/verify` (trace a file) and the
asynchronous submissions, `POST /v1/submissions` (202 once the row is committed, whether or not the broker
answered) and `GET /v1/submissions/{id}` (its state, outcome and callback attempts)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from safety.domain import Submission
from safety.edges.http.bodies import (
    CHECK_BODY,
    SUBMISSION_BODY,
    VERIFY_BODY,
    CheckRequest,
    SubmissionRequest,
    VerifyRequest,
)
from safety.edges.http.guards import Api
from safety.edges.http.models import DecisionOut, SubmissionAccepted, SubmissionStatus
from safety.edges.http.problems import invalid_body, missing_field
from safety.edges.http.uploads import Uploads
from safety.edges.views import to_json
from safety.errors import SubmissionError
from safety.records import ApiClient, Scope, SubmissionRecord
from safety.usecases.webhooks import without_paths

M = Any  # a validated request model


def _body(model: type[BaseModel], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_body(exc) from None


def submission_view(record: SubmissionRecord) -> dict[str, Any]:
    """A submission as the API shows it."""
    return {
        "submission_id": record.id,
        "video_id": record.video_id,
        "status": record.state.value,
        # The server's file path is no business of a client.
        "decision": without_paths(record.result),
        "error": record.error,
        "attempts": record.attempts,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def _multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def register_check_routes(app: FastAPI, api: Api, uploads: Uploads) -> None:
    """`GET /v1/checks`, `POST /v1/check` and `POST /v1/verify`."""
    services, generate = api.services, api.access.generate

    @app.get("/v1/checks")
    def checks(_client: ApiClient = generate) -> dict[str, Any]:
        return {"checks": [c.name for c in services.gate.checks]}

    async def decide(submission: Submission) -> dict[str, Any]:
        # The gate blocks on models, files and the database: keep it off the event loop.
        return (await run_in_threadpool(services.videos.prepublish, submission)).to_json()

    @app.post("/v1/check", response_model=DecisionOut, openapi_extra=CHECK_BODY)
    async def check(request: Request, _client: ApiClient = generate) -> Any:
        if _multipart(request):
            async with uploads.received(request, "upload-") as (target, fields, cameos):
                if "creator" not in fields:
                    raise missing_field("creator")
                return await decide(
                    Submission(
                        fields["creator"],
                        fields.get("prompt", ""),
                        target,
                        tuple(cameos),
                        fields.get("remix_of") or None,
                    )
                )
        body = _body(CheckRequest, await request.body())
        with uploads.opened_once(body.video_path, body.input_image_path) as (video_path, image_path):
            return await decide(
                Submission(body.creator, body.prompt, video_path, tuple(body.cameos), body.remix_of, image_path)
            )

    async def trace(path: Any) -> Any:
        return to_json(await run_in_threadpool(services.tracing.verify, path))

    @app.post("/v1/verify", openapi_extra=VERIFY_BODY)
    async def verify(request: Request, _client: ApiClient = api.access.any_client) -> Any:
        """Trace a file by path (JSON `{"path"}`) or by upload (multipart field `video`)."""
        if _multipart(request):
            async with uploads.received(request, "verify-") as (target, _fields, _cameos):
                return await trace(target)
        body = _body(VerifyRequest, await request.body())
        with uploads.opened_once(body.path, None) as (video_path, _image):
            return await trace(video_path)


def register_submission_routes(app: FastAPI, api: Api, uploads: Uploads) -> None:
    """`POST /v1/submissions` and `GET /v1/submissions/{id}`."""
    services, generate = api.services, api.access.generate

    async def accept(client: ApiClient, submission: Submission, callback_url: str | None) -> JSONResponse:
        record = await run_in_threadpool(
            services.submissions.submit, client.name, submission, callback_url=callback_url
        )
        return JSONResponse(submission_view(record), status_code=202)

    @app.post("/v1/submissions", status_code=202, response_model=SubmissionAccepted, openapi_extra=SUBMISSION_BODY)
    async def submit(
        request: Request,
        client: ApiClient = generate,
        _key: str | None = Header(
            None,
            alias="Idempotency-Key",
            max_length=255,
            description="Makes a retry safe: a repeat with the same key and body gets the first answer.",
        ),
    ) -> Any:
        """Accept a video to check in the background: 202 with the ids once the submission is committed; the
        outcome by `GET /v1/submissions/{id}` or a signed callback to `callback_url`. Send `Idempotency-Key` to
        make a retry safe."""
        if _multipart(request):
            async with uploads.received(request, "submit-") as (target, fields, cameos):
                if "creator" not in fields:
                    raise missing_field("creator")
                submission = Submission(
                    fields["creator"], fields.get("prompt", ""), target, tuple(cameos), fields.get("remix_of") or None
                )
                return await accept(client, submission, fields.get("callback_url"))
        body = _body(SubmissionRequest, await request.body())
        with uploads.opened_once(body.video_path, body.input_image_path) as (video_path, image_path):
            submission = Submission(
                body.creator, body.prompt, video_path, tuple(body.cameos), body.remix_of, image_path
            )
            return await accept(client, submission, body.callback_url)

    @app.get("/v1/submissions/{submission_id}", response_model=SubmissionStatus)
    def submission_status(submission_id: str, client: ApiClient = generate) -> dict[str, Any]:
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
