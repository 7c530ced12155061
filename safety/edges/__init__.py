"""The edges: every way in and out of cameoguard (CLI, HTTP app, Celery worker, scheduler, terminal output, JSON
views, metrics). Edges translate between the outside world and the use cases: they parse input, call `wiring`'s
`CameoGuard`, turn outcomes into JSON or text and exceptions into exit codes or HTTP statuses. Nothing below this
package imports it (the `layers` contract in pyproject.toml keeps it so).
"""
