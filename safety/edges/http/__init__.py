"""The HTTP app: the generation hook, the app-facing `/v1` API, the operator routes, `/ready` and `/metrics`.

`create_app(services)` builds one FastAPI app (`app`); the routes are grouped by resource (`submissions`, `users`,
`cameos`, `videos`, `operators`, `resolution`), their bodies in `bodies` and answers in `models`; `guards` holds
authentication and limits, `idempotency` the `Idempotency-Key` middleware, and `errors` the one error mapping
(every `SafetyError` to an `application/problem+json` answer).
"""

from safety.edges.http.app import create_app

__all__ = ["create_app"]
