"""The pre-publish hook over HTTP (FastAPI).

`GET /health` says the service is up and which policies and checks it runs. `POST /v1/check` takes the JSON
submission or a multipart upload and answers the decision JSON. Errors are translated here: bad input 422, an
unknown video 404, a conflict 409, storage trouble 503. The `Services` (and any models) are built once, with the app.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from safety.domain import Submission
from safety.errors import (
    ConfigurationError,
    ConflictError,
    SafetyError,
    StorageError,
    SubmissionError,
    UnknownVideoError,
)
from safety.services import Services

_MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class CheckRequest(BaseModel):
    """The JSON body of `POST /v1/check`."""

    creator: str = Field(min_length=1, max_length=64)
    prompt: str = Field(max_length=20000)
    video_path: str = Field(min_length=1, max_length=4096)
    cameos: list[str] = Field(default_factory=list, max_length=16)
    remix_of: str | None = None
    input_image_path: str | None = None


def _status_for(exc: SafetyError) -> int:
    if isinstance(exc, UnknownVideoError):
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


def create_app(services: Services) -> FastAPI:
    """The hook service around an opened `Services`."""
    app = FastAPI(title="cameoguard pre-publish hook", version="1")

    @app.exception_handler(SafetyError)
    async def _safety_error(_request: Request, exc: SafetyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": exc.__class__.__name__}, status_code=_status_for(exc))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "policies": [services.policies.adult.ref, services.policies.teen.ref],
            "checks": [c.name for c in services.gate.checks],
        }

    async def _run(submission: Submission) -> dict[str, Any]:
        # The gate blocks on models, files and the database: keep it off the event loop.
        result = await run_in_threadpool(services.prepublish, submission)
        return result.to_json()

    @app.post("/v1/check")
    async def check(request: Request) -> Any:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            return await _check_upload(request)
        try:
            body = CheckRequest.model_validate(await request.json())
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=f"invalid request: {exc}") from None
        submission = Submission(
            creator=body.creator,
            prompt=body.prompt,
            video_path=Path(body.video_path),
            cameos=tuple(body.cameos),
            remix_of=body.remix_of,
            input_image_path=Path(body.input_image_path) if body.input_image_path else None,
        )
        return await _run(submission)

    async def _check_upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        video = form.get("video")
        if not isinstance(video, UploadFile):
            raise HTTPException(status_code=422, detail="multipart upload needs a `video` file field")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if "creator" not in fields:
            raise HTTPException(status_code=422, detail="multipart upload needs a `creator` field")
        scratch = Path(tempfile.mkdtemp(prefix="upload-", dir=services.media.area("tmp")))
        try:
            target = scratch / "upload.mp4"
            with target.open("wb") as handle:
                shutil.copyfileobj(video.file, handle, 1 << 20)
            if target.stat().st_size > _MAX_UPLOAD_BYTES:
                raise HTTPException(status_code=413, detail="upload too large")
            cameos = tuple(c for c in form.getlist("cameos") if isinstance(c, str) and c)
            submission = Submission(
                creator=fields["creator"],
                prompt=fields.get("prompt", ""),
                video_path=target,
                cameos=cameos,
                remix_of=fields.get("remix_of") or None,
            )
            return await _run(submission)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @app.post("/v1/verify")
    async def verify(request: Request) -> Any:
        """Trace a file by path (JSON `{"path"}`) or by upload (multipart field `video`)."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            video = form.get("video")
            if not isinstance(video, UploadFile):
                raise HTTPException(status_code=422, detail="multipart upload needs a `video` file field")
            scratch = Path(tempfile.mkdtemp(prefix="verify-", dir=services.media.area("tmp")))
            try:
                target = scratch / "upload.mp4"
                with target.open("wb") as handle:
                    shutil.copyfileobj(video.file, handle, 1 << 20)
                return await run_in_threadpool(services.verify, target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            raise HTTPException(status_code=422, detail="JSON body needs a `path`")
        return await run_in_threadpool(services.verify, Path(body["path"]))

    return app
