"""The console's commands, plugged into `cameoguard` through the `cameoguard.commands` entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from safety.edges.terminal import JsonOpt, emit_json, out, state


def streamlit_command(port: int, host: str) -> list[str]:
    """The console's server command: headless, no usage statistics, and no developer toolbar (no "Deploy"). It runs
    `server.py`, which serves the pages and the endpoint that sets the session cookie."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(Path(__file__).resolve().parent / "server.py"),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def run_console(command: list[str], env: dict[str, str], stop_timeout_s: float = 20.0) -> int:
    """Run the server as a child and pass SIGTERM/SIGINT on to it: stopping `review serve` (a service manager, a
    container stop, Ctrl-C) stops the server too, instead of leaving it running without a parent."""
    child = subprocess.Popen(command, env=env)
    stopping: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = child.wait(timeout=stop_timeout_s if stopping else None)
                break
            except subprocess.TimeoutExpired:
                child.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.kill()
            child.wait()
    # Stopped on request is a clean stop; otherwise the server's own exit status.
    return 0 if stopping else code


def register(app: typer.Typer) -> None:
    """Add `review serve` and `review user add`."""
    review_app = typer.Typer(help="The reviewer console.", no_args_is_help=True)
    user_app = typer.Typer(help="Reviewer accounts.", no_args_is_help=True)
    review_app.add_typer(user_app, name="user")
    app.add_typer(review_app, name="review")

    @review_app.command("serve")
    def serve(
        ctx: typer.Context,
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
        host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    ) -> None:
        """Start the Streamlit console; SIGTERM or Ctrl-C stops it and the server it started."""
        settings = state(ctx).settings
        # Settings, keys and the database schema are checked here, so a console that cannot work exits with one
        # line (and its code) instead of starting a server that fails on the first page.
        state(ctx).guard()
        env = {**os.environ, "CAMEOGUARD_HOME": str(settings.home.resolve())}
        if settings.database_url:
            env["CAMEOGUARD_DATABASE_URL"] = settings.database_url
        raise typer.Exit(run_console(streamlit_command(port, host), env))

    @user_app.command("add")
    def user_add(
        ctx: typer.Context,
        name: str,
        role: Annotated[str, typer.Option(help="reviewer, senior or admin.")] = "reviewer",
        password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Add a reviewer (the password is read from stdin, never from the command line)."""
        if not password_stdin:
            raise typer.BadParameter("pass the password on stdin with --password-stdin")
        password = sys.stdin.readline().rstrip("\n")
        state(ctx).guard().review_service().add_reviewer(name, role, password)
        if as_json:
            emit_json({"name": name, "role": role})
        else:
            out.print(f"added reviewer {name} ({role})")
