"""Operator commands: initialise a home, validate policy packs, sweep, run the scheduler, serve the HTTP hook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policies import bundled_pack_names, bundled_pack_path, validate_file
from safety.edges.cli.app import app, policy_app, scheduler_app, worker_app
from safety.edges.terminal import JsonOpt, emit, emit_json, err, out, state
from safety.edges.views import sweep_json


@app.command()
def init(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Create the data directory, database and media store (idempotent)."""
    guard = state(ctx).guard()
    payload = {
        "home": str(guard.settings.home.resolve()),
        "database": guard.sql_database.url if guard.sql_database else "memory",
    }
    if as_json:
        emit_json(payload)
    else:
        out.print(f"ready: home {payload['home']}, database {payload['database']}")


@app.command()
def migrate(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Only say where the schema stands; exit 1 unless it is up to date.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bring the database schema to this version (under a database lock: several processes may run it at once).
    Run it before starting a new version's processes; in production no other process changes the schema."""
    from safety.storage.sql.database import migrate_database, schema_state_of

    settings = state(ctx).settings
    url = settings.resolved_database_url
    if check:
        before = schema_state_of(url)
        payload = {"current": before.current, "head": before.head, "up_to_date": before.up_to_date}
        emit(payload, as_json, before.describe())
        if not before.up_to_date:
            raise typer.Exit(1)
        return
    done = migrate_database(url)
    after = done.state
    payload = {"from": done.found, "to": after.current, "head": after.head, "changed": done.changed}
    text = (
        f"migrated the database schema from {done.found or 'nothing'} to {after.current}"
        if done.changed
        else f"the database schema is already at {after.current}"
    )
    emit(payload, as_json, text)


@policy_app.command("validate")
def policy_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Pack files (default: the bundled packs).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate policy packs; every problem is reported with file:line and a hint."""
    files = paths or [bundled_pack_path(name) for name in bundled_pack_names()]
    results = {str(f): validate_file(f) for f in files}
    if as_json:
        emit_json(
            {
                "valid": not any(results.values()),
                "files": {
                    f: [{"line": i.line, "message": i.message, "hint": i.hint} for i in issues]
                    for f, issues in results.items()
                },
            }
        )
    else:
        for file, issues in results.items():
            if not issues:
                out.print(f"[green]ok[/green] {file}")
            for issue in issues:
                err.print(str(issue), markup=False, highlight=False)
    if any(results.values()):
        raise typer.Exit(1)


@app.command()
def sweep(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Sweep once and exit (the only mode; see `scheduler run`).")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Finish pending purges, re-check consent, apply retention, reconcile files and rows."""
    from safety.edges.sweeps import sweep_once

    report = sweep_json(sweep_once(state(ctx).guard()))
    text = (
        f"sweep: {'ran' if report['ran'] else 'skipped (another sweeper holds the lock)'}; "
        f"finished {len(report['purges_finished'])} purge job(s), purged {len(report['purged'])} video(s), "
        f"expired {len(report['held_expired'])}, removed {len(report['orphan_files_removed'])} orphan file(s), "
        f"withdrew {len(report['rows_without_files'])} row(s) without files"
    )
    emit(report, as_json, text)


@app.command()
def invariants(
    ctx: typer.Context,
    quiescent: Annotated[
        bool,
        typer.Option(
            "--quiescent",
            help="Also check files and purge jobs (only meaningful with nothing in flight, right after a sweep).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the promises the system keeps (safety/invariants.py) against this deployment; exit 1 on a violation."""
    from safety.invariants import INVARIANTS, check_invariants

    guard = state(ctx).guard()
    report = check_invariants(guard.store, guard.media, guard.policies, quiescent=quiescent)
    payload = {
        "ok": report.ok,
        "videos": report.videos,
        "checked": {name: INVARIANTS[name] for name in report.checked},
        "violations": [v.__dict__ for v in report.violations],
    }
    lines = [f"{len(report.checked)} invariants over {report.videos} videos: {'all hold' if report.ok else 'BROKEN'}"]
    lines += [f"  {v.invariant} {v.subject}: {v.detail}" for v in report.violations]
    emit(payload, as_json, "\n".join(lines))
    if not report.ok:
        raise typer.Exit(1)


@scheduler_app.command("run")
def scheduler_run(
    ctx: typer.Context,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps.", min=1)] = 300.0,
    run_for: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: run until ^C).")] = None,
) -> None:
    """Run sweeps on a schedule; the job is persisted in the database; only one sweeper works at a time."""
    from safety.edges.sweeps import run_scheduler

    guard = state(ctx).guard()
    out.print(f"sweeping every {interval:g} s; ^C to stop")
    run_scheduler(guard, interval, run_for_s=run_for)


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the pre-publish hook over HTTP (GET /health, POST /v1/check)."""
    import uvicorn

    from safety.edges.http import create_app
    from safety.logs import use_json_logs

    use_json_logs(everything=True)
    guard = state(ctx).guard()
    if guard.settings.broker_url is None:
        # Without a broker the submissions run on this process's threads; any left queued by a stopped process
        # are picked up now.
        guard.submissions.requeue_unfinished()
        # ... and this process takes the sweeper's duties (no worker does them).
        from safety.edges.worker import PeriodicSweeper

        PeriodicSweeper(guard, guard.settings.worker_sweep_s).start()
    # The port opens first and answers `/ready` with 503 while every model loads on a background thread; a load
    # balancer sends work once it answers 200, and the first request costs what any other does.
    out.print("models loading in the background; GET /ready answers 200 once they are loaded")
    # No log configuration of uvicorn's own: its records reach the JSON handler (one format per process).
    uvicorn.run(create_app(guard, warm_up_in_background=True), host=host, port=port, log_level="info", log_config=None)


@worker_app.callback(invoke_without_command=True)
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option(help="Submissions checked at once (threads sharing the models).", min=1)
    ] = 2,
    callbacks_only: Annotated[
        bool,
        typer.Option(
            "--callbacks-only", help="Take only callbacks (their own queue, `<queue>.callbacks`); loads no models."
        ),
    ] = False,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's own /metrics on this port.", min=1, max=65535)
    ] = None,
) -> None:
    """Run a Celery worker for background work (needs CAMEOGUARD_BROKER_URL): every model loads once at start,
    then it takes submissions, callbacks and purge work from the broker until stopped, and takes its turn at the
    sweeper's duties (CAMEOGUARD_WORKER_SWEEP_S). A broker it cannot reach at start stops it (exit 5)."""
    if ctx.invoked_subcommand is not None:
        return
    from safety.edges.worker import run_worker

    run_worker(state(ctx).guard(), concurrency=concurrency, callbacks_only=callbacks_only, metrics_port=metrics_port)


@worker_app.command("ping")
def worker_ping(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """A worker's health check: exit 0 when its broker and database answer, 1 otherwise (one line says which)."""
    from safety.edges.worker import check_dependencies

    found = check_dependencies(state(ctx).guard())
    healthy = all(v == "ok" for v in found.values())
    text = (
        "ok: broker and database answer"
        if healthy
        else "unhealthy: " + ", ".join(f"{name} {value}" for name, value in found.items() if value != "ok")
    )
    emit({**found, "ok": healthy}, as_json, text)
    if not healthy:
        raise typer.Exit(1)
