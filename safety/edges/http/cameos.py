"""Routes for an owner's cameo (scope `app`, acting for the owner): the verification challenge, enrollment and
deletion, who may use it (level, approvals, revocations, blocks) and what for (restrictions in their own words)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, Request
from starlette.concurrency import run_in_threadpool

from safety.edges.http.bodies import FILE_FIELD, ConsentLevelBody, RestrictionBody, UserBody, multipart_body
from safety.edges.http.guards import Api, require_acting
from safety.edges.http.models import CameoDeletionOut, ChallengeOut, EnrollmentOut
from safety.edges.http.uploads import uploaded_files
from safety.edges.views import to_json
from safety.records import ApiClient


def register_cameo_routes(app: FastAPI, api: Api) -> None:
    """The cameo itself: challenge, enrollment, deletion, level."""
    services, access = api.services, api.access
    uploads_root = services.media.area("tmp")

    @app.post("/v1/users/{handle}/cameo/challenge", status_code=201, tags=["cameos"], response_model=ChallengeOut)
    def challenge(handle: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)) -> Any:
        """A challenge for the verification video (digits to say, a head turn)."""
        require_acting(client, x_acting_user, handle)
        return to_json(services.cameos.issue_challenge(handle))

    @app.post(
        "/v1/users/{handle}/cameo",
        status_code=201,
        tags=["cameos"],
        response_model=EnrollmentOut,
        openapi_extra=multipart_body(
            "The verification video, and the challenge it answers.",
            {"video": FILE_FIELD, "challenge_id": {"type": "string"}},
            ["video"],
        ),
    )
    async def enroll(
        handle: str, request: Request, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> Any:
        """Enroll a cameo from a verification video (multipart field `video`, optional `challenge_id`)."""
        require_acting(client, x_acting_user, handle)
        async with uploaded_files(request, "video", uploads_root) as (files, fields):
            result = await run_in_threadpool(
                services.cameos.enroll_cameo, handle, files[0], fields.get("challenge_id") or None
            )
        return to_json(result)

    @app.delete("/v1/users/{handle}/cameo", tags=["cameos"], response_model=CameoDeletionOut)
    def delete_cameo(
        handle: str,
        client: ApiClient = access.app,
        x_acting_user: str | None = Header(None),
        keep_protection: bool = False,
    ) -> Any:
        """Delete the cameo; others' videos of the owner are purged (their receipts)."""
        require_acting(client, x_acting_user, handle)
        return to_json(services.cameos.delete_cameo(handle, keep_protection=keep_protection))

    @app.put("/v1/users/{handle}/cameo/level", tags=["cameos"])
    def set_level(
        handle: str, body: ConsentLevelBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> Any:
        """Who may use the cameo; videos the new level no longer allows are purged (their receipts)."""
        require_acting(client, x_acting_user, handle)
        purged = services.cameos.set_consent_level(handle, body.level)
        if body.approve_each_use is not None:
            services.cameos.set_approve_each_use(handle, body.approve_each_use)
        current = services.cameos.cameo_status(handle)
        return {
            "level": body.level.value,
            "approve_each_use": bool(current and current.approve_each_use),
            "purged": [to_json(r) for r in purged],
        }


def register_consent_routes(app: FastAPI, api: Api) -> None:
    """Who may use the cameo, and what for."""
    services, access = api.services, api.access

    @app.post("/v1/users/{handle}/cameo/approved", tags=["cameos"])
    def approve(
        handle: str, body: UserBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Let one user use the cameo (for the `approved` level)."""
        require_acting(client, x_acting_user, handle)
        services.cameos.approve(handle, body.user)
        return {"owner": handle, "approved": body.user}

    @app.post("/v1/users/{handle}/cameo/revoked", tags=["cameos"])
    def revoke(
        handle: str, body: UserBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Withdraw one user's permission; their videos of the owner are purged."""
        require_acting(client, x_acting_user, handle)
        return {"owner": handle, "purged": [to_json(r) for r in services.cameos.revoke(handle, body.user)]}

    @app.post("/v1/users/{handle}/cameo/blocked", tags=["cameos"])
    def block(
        handle: str, body: UserBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Block one user whatever the level; their videos of the owner are purged."""
        require_acting(client, x_acting_user, handle)
        return {"owner": handle, "purged": [to_json(r) for r in services.cameos.block(handle, body.user)]}

    @app.put("/v1/users/{handle}/cameo/restrictions", tags=["cameos"])
    def restrict(
        handle: str, body: RestrictionBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> Any:
        """What the likeness may not be used for, in the owner's words (any language): the answer says what was
        understood (`topics` of the taxonomy, enforced on meaning, and free-text `phrases`); the owner's existing
        videos are checked again."""
        require_acting(client, x_acting_user, handle)
        result = services.cameos.restrict(handle, body.text)
        return {
            "owner": handle,
            "topics": list(result.topics),
            "phrases": list(result.phrases),
            "purged": [to_json(r) for r in result.receipts],
        }
