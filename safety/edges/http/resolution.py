"""The C2PA Soft Binding Resolution API, beside `/v1`: recover a published video's manifest from a stripped copy.

`GET /matches/byBinding?alg=…&value=…` (and its POST form) answers the manifests a soft binding value names,
`POST /matches/byContent` takes the media itself (the raw body, or a multipart file) and matches it as
`cameoguard verify` does (it is `verify`), `GET /manifests/{manifestId}` returns the manifest store
(`application/c2pa`) and `GET /services/supportedAlgorithms` lists our two algorithms (`provenance.softbinding`).
Callers need a client token, any scope, as for `/v1/verify`; with `CAMEOGUARD_RESOLUTION_PUBLIC=true` the API is
open, limited per address.

Our extension: every match carries the video's `status` (live, withdrawn, purged), and a purged video's manifest is
never served: `GET /manifests/{id}` answers 410 with `videoStatus: purged` (problem+json), so a stripped copy of a
purged video resolves to its tombstone, never to a live manifest. `byContent` also answers `status`, the verdict
`verify` gives for the same file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from provenance.softbinding import ALGORITHMS, FINGERPRINT_KIND, WATERMARK_KIND
from safety.edges.http.errors import PROBLEM_BASE, PROBLEM_TYPES, Problem
from safety.errors import UnknownSubjectError
from safety.records import RegistryStatus
from safety.usecases.tracing import Resolution
from safety.wiring import CameoGuard

MAX_RESULTS = 100
_PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
_BAD_QUERY: dict[int | str, dict[str, Any]] = {400: {**_PROBLEM, "description": "an algorithm we do not resolve"}}


class Limiter(Protocol):
    """Allows a client a request or not (`app.RateLimiter`)."""

    def allow(self, client: str) -> bool: ...


class ManifestMatch(BaseModel):
    """A manifest the query matched."""

    manifestId: str = Field(examples=["urn:c2pa:0b6f7f5e-9a1c-5d2e-8f3a-4b5c6d7e8f90"])  # noqa: N815 (the API's name)
    status: str = Field(
        examples=["live"], description="Extension: the video's status (live, withdrawn, purged); purged is not served."
    )


class Matches(BaseModel):
    """What `/matches/*` answers."""

    matches: list[ManifestMatch]
    status: str | None = Field(
        default=None, description="Extension (byContent): the verdict `cameoguard verify` gives for the same file."
    )


class BindingQuery(BaseModel):
    """The body of `POST /matches/byBinding`."""

    alg: str = Field(max_length=64)
    value: str = Field(max_length=256)


def _matches(found: list[Resolution], limit: int) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    for resolution in found:
        # A video published before manifests were kept has nothing to serve.
        if resolution.manifest_id is not None and all(m["manifestId"] != resolution.manifest_id for m in seen):
            seen.append({"manifestId": resolution.manifest_id, "status": resolution.status})
    return seen[:limit]


def register_resolution_routes(app: FastAPI, services: CameoGuard, authenticated: Any, limiter: Limiter) -> None:
    """The resolution routes; `authenticated` is the app's client-token dependency, `limiter` limits an open API
    per client address."""
    public = services.settings.resolution_public

    def open_caller(request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        if not limiter.allow(f"resolution:{address}"):
            raise HTTPException(status_code=429, detail="too many requests from this address")

    caller = Depends(open_caller) if public else authenticated
    _register_binding_routes(app, services, caller)
    _register_content_route(app, services, caller)
    _register_manifest_routes(app, services, caller)


_TAGS: list[str | Any] = ["resolution"]


def _register_binding_routes(app: FastAPI, services: CameoGuard, caller: Any) -> None:
    """`/matches/byBinding`, by query or body."""
    tags = _TAGS

    def lookup(alg: str, value: str, limit: int) -> dict[str, Any]:
        if alg not in ALGORITHMS:
            raise HTTPException(status_code=400, detail=f"unsupported algorithm `{alg[:64]}`")
        return {"matches": _matches(services.tracing.resolve_binding(alg, value), limit)}

    @app.get(
        "/matches/byBinding",
        tags=tags,
        response_model=Matches,
        response_model_exclude_none=True,
        responses=_BAD_QUERY,
    )
    def by_binding(
        alg: str = Query(max_length=64),
        value: str = Query(max_length=256),
        maxResults: int = Query(default=MAX_RESULTS, ge=1, le=MAX_RESULTS),  # noqa: N803 (the API's name)
        _caller: Any = caller,
    ) -> Any:
        """The manifests whose soft binding `alg` has `value` (base64): one indexed lookup."""
        return lookup(alg, value, maxResults)

    @app.post(
        "/matches/byBinding",
        tags=tags,
        response_model=Matches,
        response_model_exclude_none=True,
        responses=_BAD_QUERY,
    )
    def by_binding_body(
        body: BindingQuery,
        maxResults: int = Query(default=MAX_RESULTS, ge=1, le=MAX_RESULTS),  # noqa: N803
        _caller: Any = caller,
    ) -> Any:
        """`GET /matches/byBinding` with the query in a JSON body."""
        return lookup(body.alg, body.value, maxResults)


def _register_content_route(app: FastAPI, services: CameoGuard, caller: Any) -> None:
    """`/matches/byContent`: the media itself."""
    tags = _TAGS

    @app.post(
        "/matches/byContent",
        tags=tags,
        response_model=Matches,
        response_model_exclude_none=True,
        responses={400: {**_PROBLEM, "description": "no media, or an algorithm we do not resolve"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "The media: the raw body, or one multipart file.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "video/mp4": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {
                        "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                    },
                },
            }
        },
    )
    async def by_content(
        request: Request,
        alg: str | None = Query(default=None, max_length=64),
        maxResults: int = Query(default=MAX_RESULTS, ge=1, le=MAX_RESULTS),  # noqa: N803
        _caller: Any = caller,
    ) -> Any:
        """Match media (the raw body, e.g. `video/mp4`, or one multipart file) by its watermark and fingerprints:
        the same tracing `cameoguard verify` does, whose verdict comes back as `status`."""
        if alg is not None and alg not in ALGORITHMS:
            raise HTTPException(status_code=400, detail=f"unsupported algorithm `{alg[:64]}`")
        scratch = Path(tempfile.mkdtemp(prefix="resolve-", dir=services.media.area("tmp")))
        try:
            target = scratch / "upload.mp4"
            await _receive(request, target)
            if target.stat().st_size == 0:
                raise HTTPException(status_code=400, detail="no media in the request body")
            result = await run_in_threadpool(services.tracing.verify, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return {"matches": _matches(list(result.manifests), maxResults), "status": result.status}


def _register_manifest_routes(app: FastAPI, services: CameoGuard, caller: Any) -> None:
    """`/manifests/{id}` and `/services/supportedAlgorithms`."""
    tags = _TAGS

    @app.get(
        "/manifests/{manifestId:path}",
        tags=tags,
        response_class=Response,
        responses={
            200: {"content": {"application/c2pa": {}}, "description": "The manifest store."},
            410: {**_PROBLEM, "description": "the video was purged: its tombstone status (`videoStatus`), no manifest"},
        },
    )
    def manifest(manifestId: str, _caller: Any = caller) -> Response:  # noqa: N803
        """The manifest store of a published video; 410 with its tombstone status once the video was purged."""
        try:
            found = services.tracing.manifest_store(manifestId)
        except UnknownSubjectError:
            raise HTTPException(status_code=404, detail="no such manifest") from None
        if found.data is None:
            body = {
                "type": PROBLEM_BASE + "purged",
                "title": PROBLEM_TYPES["purged"],
                "status": 410,
                "detail": "the video this manifest published was purged; its manifest is not served",
                "manifestId": found.manifest_id,
                "videoStatus": RegistryStatus.PURGED.value,
            }
            return JSONResponse(body, status_code=410, media_type="application/problem+json")
        return Response(found.data, media_type="application/c2pa", headers={"X-Video-Status": found.status})

    @app.get("/services/supportedAlgorithms", tags=tags)
    def supported(_caller: Any = caller) -> dict[str, list[dict[str, str]]]:
        """The soft binding algorithms this repository resolves."""
        return {
            "watermarks": [{"alg": a} for a, kind in ALGORITHMS.items() if kind == WATERMARK_KIND],
            "fingerprints": [{"alg": a} for a, kind in ALGORITHMS.items() if kind == FINGERPRINT_KIND],
        }


async def _receive(request: Request, target: Path) -> None:
    """The request's media into `target`: the first file of a multipart form, or the raw body. (The app's
    middleware has already capped the body's size.)"""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        try:
            upload = next((v for _, v in form.multi_items() if isinstance(v, UploadFile)), None)
            if upload is None:
                raise HTTPException(status_code=400, detail="the multipart form holds no file")
            with target.open("wb") as handle:
                shutil.copyfileobj(upload.file, handle, 1 << 20)
        finally:
            # The form's spooled files are ours to close: left open, they leak a descriptor per upload.
            await form.close()
        return
    with target.open("wb") as handle:
        async for chunk in request.stream():
            handle.write(chunk)
