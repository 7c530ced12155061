"""The HTTP app: the generation hook, the app-facing `/v1` API, the operator routes, `/ready` and `/metrics`.

`create_app(services)` builds one FastAPI app; `routes` holds the `/v1` routes and their bodies, `app` the hook
routes, limits and the one error mapping (every `SafetyError` to an `application/problem+json` answer).
"""

from safety.edges.http.app import create_app

__all__ = ["create_app"]
