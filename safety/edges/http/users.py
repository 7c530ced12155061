"""Routes for app backends acting for their users (scope `app`, the user named in `X-Acting-User`): accounts and
follows, and what an owner sees and answers of the videos they appear in (uses, receipts, approval requests).
A user may act only on their own account and cameo; an operator token on anyone's."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header

from safety.domain import AgeBand
from safety.edges.http.bodies import NewUser, UseAnswerBody
from safety.edges.http.guards import Api, require_acting
from safety.edges.http.models import CameoUses, FollowOut, Receipt, Receipts, UserOut
from safety.edges.views import to_json
from safety.records import ApiClient
from safety.wiring import CameoGuard


def acting_for(services: CameoGuard, client: ApiClient, acting: str | None, handle: str, action: str = "") -> str:
    """The acting user, who must be `handle` unless the client is an operator; with `action`, the access is audited
    (the use cases audit every change themselves)."""
    require_acting(client, acting, handle)
    if action:
        services.accounts.record_acting(client.name, acting or "", action, handle)
    return acting or ""


def register_user_routes(app: FastAPI, api: Api) -> None:
    """Accounts and follows."""
    services, access = api.services, api.access

    @app.post("/v1/users", status_code=201, tags=["users"], response_model=UserOut)
    def create_user(body: NewUser, _client: ApiClient = access.app) -> dict[str, Any]:
        """Register a user (a teen with `teen: true`)."""
        user = services.accounts.add_user(body.handle, AgeBand.TEEN if body.teen else AgeBand.ADULT)
        return {"handle": user.handle, "age_band": user.age_band.value}

    @app.delete("/v1/users/{handle}", tags=["users"])
    def delete_user(
        handle: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Delete the account: its cameo, every video it made (and what derives from them), its follows."""
        acting_for(services, client, x_acting_user, handle)
        receipts = services.cameos.delete_account(handle)
        return {"handle": handle, "deleted": True, "purged": [to_json(r) for r in receipts]}

    @app.put("/v1/users/{handle}/follows/{other}", tags=["users"], response_model=FollowOut)
    def follow(
        handle: str, other: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """`handle` follows `other` (mutual follows can use a `mutuals` cameo)."""
        acting_for(services, client, x_acting_user, handle)
        return {"follower": handle, "followee": other, "created": services.accounts.follow(handle, other)}

    @app.delete("/v1/users/{handle}/follows/{other}", tags=["users"], response_model=FollowOut)
    def unfollow(
        handle: str, other: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """`handle` stops following `other`; videos only their mutual follow allowed are purged (receipts)."""
        acting_for(services, client, x_acting_user, handle)
        receipts = services.cameos.unfollow(handle, other)
        return {"follower": handle, "followee": other, "purged": [to_json(r) for r in receipts]}


def register_owner_routes(app: FastAPI, api: Api) -> None:
    """What an owner sees and answers of the videos they appear in."""
    services, access = api.services, api.access

    @app.get("/v1/users/{handle}/cameo/uses", tags=["owner"], response_model=CameoUses)
    def cameo_uses(
        handle: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Every video the owner appears in, declared or identified, in any status, by any creator."""
        acting_for(services, client, x_acting_user, handle, "cameo_uses_read")
        return {"owner": handle, "uses": [to_json(use) for use in services.cameos.cameo_uses(handle)]}

    @app.delete("/v1/users/{handle}/cameo/uses/{video_id}", tags=["owner"], response_model=Receipt)
    def remove_use(
        handle: str, video_id: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> Any:
        """The owner removes one video they appear in, and everything derived from it; the receipt."""
        acting_for(services, client, x_acting_user, handle)
        return to_json(services.cameos.remove_video(handle, video_id))

    @app.get("/v1/users/{handle}/receipts", tags=["owner"], response_model=Receipts)
    def receipts(handle: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)) -> Any:
        """Every purge receipt the owner was given."""
        acting_for(services, client, x_acting_user, handle, "receipts_read")
        return {"owner": handle, "receipts": [to_json(r) for r in services.cameos.receipts(handle)]}

    @app.get("/v1/users/{handle}/cameo/requests", tags=["owner"])
    def use_requests(
        handle: str, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """Videos waiting for the owner's approval (an owner who approves each use)."""
        acting_for(services, client, x_acting_user, handle, "use_requests_read")
        return {"owner": handle, "requests": [to_json(r) for r in services.use_requests.pending(handle)]}

    @app.post("/v1/users/{handle}/cameo/requests/{video_id}", tags=["owner"])
    def answer_use(
        handle: str,
        video_id: str,
        body: UseAnswerBody,
        client: ApiClient = access.app,
        x_acting_user: str | None = Header(None),
    ) -> dict[str, Any]:
        """Approve or decline one video: it publishes once every owner asked approved; a decline blocks it."""
        acting_for(services, client, x_acting_user, handle)
        answer = services.use_requests.approve if body.approve else services.use_requests.decline
        result = answer(handle, video_id)
        status = result.status.value if result is not None else services.videos.show(video_id).video.status.value
        return {"owner": handle, "video_id": video_id, "approved": body.approve, "status": status}
