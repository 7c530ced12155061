"""The console's commands, plugged into `cameoguard` through the `cameoguard.commands` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from safety.terminal import JsonOpt, emit_json, out, state


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
        """Start the Streamlit console."""
        settings = state(ctx).settings
        env = {**os.environ, "CAMEOGUARD_HOME": str(settings.home.resolve())}
        if settings.database_url:
            env["CAMEOGUARD_DATABASE_URL"] = settings.database_url
        app_file = Path(__file__).resolve().parent / "app.py"
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app_file),
            "--server.port",
            str(port),
            "--server.address",
            host,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
        raise typer.Exit(subprocess.call(command, env=env))

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
