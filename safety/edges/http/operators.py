"""Operators' routes (scope `operator`): the hash banks (`known_bad`, `purged`) and protected people."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from safety.edges.http.bodies import FILE_FIELD, multipart_body
from safety.edges.http.guards import Api
from safety.edges.http.models import BankItemOut, ProtectedOut
from safety.edges.http.uploads import uploaded_files
from safety.edges.views import to_json
from safety.records import ApiClient, BankName, ProtectionKind


def register_bank_routes(app: FastAPI, api: Api) -> None:
    """The hash banks."""
    services, access = api.services, api.access
    uploads_root = services.media.area("tmp")

    @app.post(
        "/v1/banks/{bank}",
        status_code=201,
        tags=["operator"],
        response_model=BankItemOut,
        openapi_extra=multipart_body(
            "The video whose frames to bank, and why.", {"video": FILE_FIELD, "note": {"type": "string"}}, ["video"]
        ),
    )
    async def bank_add(bank: BankName, request: Request, _client: ApiClient = access.operator) -> Any:
        """Add a video (multipart field `video`, optional `note`) to a hash bank: `known_bad` or `purged`."""
        async with uploaded_files(request, "video", uploads_root) as (files, fields):
            entry = await run_in_threadpool(services.tracing.bank_add, bank.value, files[0], fields.get("note", ""))
        return to_json(entry)

    @app.get("/v1/banks", tags=["operator"])
    def bank_list(_client: ApiClient = access.operator, bank: BankName | None = None) -> dict[str, Any]:
        """The banks' items (one bank with `?bank=`)."""
        return {"items": [to_json(e) for e in services.tracing.bank_list(bank.value if bank else None)]}

    @app.delete("/v1/banks/items/{entry_id}", tags=["operator"])
    def bank_remove(entry_id: str, _client: ApiClient = access.operator) -> dict[str, Any]:
        services.tracing.bank_remove(entry_id)
        return {"removed": entry_id}


def register_protected_routes(app: FastAPI, api: Api) -> None:
    """Protected people."""
    services, access = api.services, api.access
    uploads_root = services.media.area("tmp")

    @app.post(
        "/v1/protected",
        status_code=201,
        tags=["operator"],
        response_model=ProtectedOut,
        openapi_extra=multipart_body(
            "Photos of the person (repeat `image`), their name and the kind of protection.",
            {
                "image": {"type": "array", "items": FILE_FIELD},
                "name": {"type": "string", "minLength": 1},
                "kind": {"type": "string", "enum": ["public_figure", "estate", "opt_out"]},
            },
            ["image", "name"],
        ),
    )
    async def protect(request: Request, _client: ApiClient = access.operator) -> Any:
        """Protect a person by photos (multipart fields `image`, repeated, and `name`; optional `kind`)."""
        async with uploaded_files(request, "image", uploads_root) as (files, fields):
            if not fields.get("name"):
                raise RequestValidationError([{"loc": ("body", "name"), "msg": "Field required", "type": "missing"}])
            try:
                kind = ProtectionKind(fields.get("kind") or ProtectionKind.PUBLIC_FIGURE.value)
            except ValueError:
                raise HTTPException(status_code=422, detail="kind is public_figure, estate or opt_out") from None
            result = await run_in_threadpool(services.protection.protect, fields["name"], files, kind.value)
        return to_json(result)

    @app.get("/v1/protected", tags=["operator"])
    def protected(_client: ApiClient = access.operator) -> dict[str, Any]:
        return {"people": [to_json(p) for p in services.protection.protected_people()]}

    @app.delete("/v1/protected/{who}", tags=["operator"])
    def unprotect(who: str, _client: ApiClient = access.operator) -> Any:
        return to_json(services.protection.unprotect(who))
