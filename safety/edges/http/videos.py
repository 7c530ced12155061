"""Routes on videos: the record (in full for its creator, an owner in it or an operator; the published facts for
anyone else: `safety.access`), the signed file with range requests, users' reports and creators' appeals."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import FileResponse
from starlette.responses import Response

from safety.edges.http.bodies import AppealBody, ReportBody
from safety.edges.http.guards import Api, viewer_of
from safety.edges.http.models import PublishedVideoOut, VideoOut
from safety.edges.views import to_json
from safety.records import ApiClient


def register_video_routes(app: FastAPI, api: Api) -> None:
    """Videos, their files, reports and appeals."""
    services, access = api.services, api.access

    @app.post("/v1/videos/{video_id}/reports", status_code=201, tags=["videos"])
    def report(
        video_id: str, body: ReportBody, client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """A user reports a video they may know of (published, or theirs); it goes to the review queue."""
        if not x_acting_user:
            raise HTTPException(status_code=422, detail="name the reporting user in X-Acting-User")
        viewer = viewer_of(client, x_acting_user)
        item = services.videos.report(video_id, x_acting_user, body.reason, viewer=viewer)
        return {"video_id": video_id, "review_item_id": item}

    @app.get("/v1/videos/{video_id}", tags=["videos"], response_model=VideoOut | PublishedVideoOut)
    def video(video_id: str, client: ApiClient = access.any_client, x_acting_user: str | None = Header(None)) -> Any:
        """The full record (prompt, status, decisions) for the video's creator, an owner in it or an operator;
        the published facts for anyone else, and 404 when it is not published; `file_url` downloads it once
        published."""
        view = to_json(services.videos.show_to(video_id, viewer_of(client, x_acting_user)))
        # The server's own file path is no business of an app: it gets the download URL instead.
        published = view.pop("published_path", None) if "published_path" in view else view["status"] == "published"
        view["file_url"] = f"/v1/videos/{video_id}/file" if published else None
        return view

    @app.get("/v1/videos/{video_id}/file", tags=["videos"], response_class=FileResponse)
    def video_file(
        video_id: str, client: ApiClient = access.any_client, x_acting_user: str | None = Header(None)
    ) -> Response:
        """The signed, published file (range requests supported); unless the video is published, 409 for its
        creator, its owners and operators and 404 for anyone else."""
        path = services.videos.published_file(video_id, viewer_of(client, x_acting_user))
        return FileResponse(path, media_type="video/mp4", filename=f"{video_id}.mp4")

    @app.post("/v1/videos/{video_id}/appeals", status_code=201, tags=["videos"])
    def appeal(
        video_id: str, body: AppealBody, _client: ApiClient = access.app, x_acting_user: str | None = Header(None)
    ) -> dict[str, Any]:
        """The creator appeals a block; a senior reviewer upholds or overturns."""
        if not x_acting_user:
            raise HTTPException(status_code=422, detail="name the appealing creator in X-Acting-User")
        item = services.review_service().appeal(video_id, x_acting_user, body.text)
        return {"video_id": video_id, "review_item_id": item}
