"""The HTTP app (FastAPI): the pipeline's hook, API v1 for apps and operators, the Soft Binding Resolution API, and
what operators watch (`/health`, `/ready`, `/metrics`).

`create_app` builds it around an opened `CameoGuard` (and any models), once: the access rules (`guards`), the body
limits, the `Idempotency-Key` middleware, the one error mapping (`errors`, every error an
`application/problem+json` answer, `problems`), and the routes, one module per resource (`submissions`, `users`,
`cameos`, `videos`, `operators`, `resolution`). `serve` opens the port before the models are loaded: they load on
a background thread and `/ready` answers 503 until they have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from safety.edges.http.cameos import register_cameo_routes, register_consent_routes
from safety.edges.http.errors import PROBLEM_RESPONSES, install_problem_handlers
from safety.edges.http.guards import Access, Api, BodyLimits, RateLimiter
from safety.edges.http.idempotency import IdempotencyKeys
from safety.edges.http.operators import register_bank_routes, register_protected_routes
from safety.edges.http.problems import PROBLEM_JSON, install_problems, problem_response
from safety.edges.http.resolution import register_resolution_routes
from safety.edges.http.submissions import register_check_routes, register_submission_routes
from safety.edges.http.uploads import Uploads
from safety.edges.http.users import register_owner_routes, register_user_routes
from safety.edges.http.videos import register_video_routes
from safety.edges.operability import metrics_text, readiness
from safety.usecases.idempotency import IdempotentRequests
from safety.wiring import CameoGuard

log = logging.getLogger("cameoguard.http")


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
        "Send `Authorization: Bearer <token>` (`cameoguard hook token NAME --scope generate|app|operator`) and, on a "
        "POST, `Idempotency-Key` to make a retry safe. Errors are application/problem+json with a stable `type`.",
    )
    access = Access(services)
    _install_middleware(app, services, access)
    api, uploads = Api(services, access), Uploads(services)
    register_check_routes(app, api, uploads)
    register_submission_routes(app, api, uploads)
    register_user_routes(app, api)
    register_owner_routes(app, api)
    register_cameo_routes(app, api)
    register_consent_routes(app, api)
    register_video_routes(app, api)
    register_bank_routes(app, api)
    register_protected_routes(app, api)
    register_resolution_routes(
        app, services, access.any_client, RateLimiter(services.settings.hook_requests_per_minute)
    )
    _register_operability_routes(app, services, warm_up)
    return app


def _install_middleware(app: FastAPI, services: CameoGuard, access: Access) -> None:
    install_problem_handlers(app)
    settings = services.settings
    # Inside the body limits (added first, so innermost): a repeat's body is counted as any other.
    app.add_middleware(IdempotencyKeys, requests=IdempotentRequests(services.store), client_of=access.client_name)
    app.add_middleware(BodyLimits, max_bytes=access.max_body, timeout_s=settings.hook_body_timeout_s)
    # Added last, so it is the outermost of the app's middleware: it sees every answer.
    install_problems(app)


def _register_operability_routes(app: FastAPI, services: CameoGuard, warm_up: WarmUp) -> None:
    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "policies": [services.policies.adult.ref, services.policies.teen.ref]}

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
        body, content_type = metrics_text(services)
        return Response(body, media_type=content_type)
