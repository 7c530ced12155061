"""The command tree: the root `cameoguard` app and one sub-app per area; commands attach to these."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cameoguard",
    help="A pre-publish trust-and-safety gate for AI-generated video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
policy_app = typer.Typer(help="Policy packs.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cameo_app = typer.Typer(help="Cameos: enrollment and consent.", no_args_is_help=True)
protect_app = typer.Typer(help="Protected persons (operator-run).", no_args_is_help=True)
faces_app = typer.Typer(help="Face tools for operators.", no_args_is_help=True)
models_app = typer.Typer(help="Face model packs, installed from local files.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
bank_app = typer.Typer(
    help="Hash banks: known-bad videos (operator) and purged ones (revocation).", no_args_is_help=True
)
hook_app = typer.Typer(help="Clients of the HTTP hook.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The background scheduler (APScheduler).", no_args_is_help=True)
guardian_app = typer.Typer(help="Guardians: parental controls over a teen's likeness.", no_args_is_help=True)
worker_app = typer.Typer(
    help="Celery workers: `cameoguard worker [--concurrency N]` runs one; `cameoguard worker ping` checks its broker "
    "and database."
)
scan_app = typer.Typer(
    help="Retroactive scans: published videos searched for people enrolled or protected later.", no_args_is_help=True
)
for sub, name in (
    (user_app, "user"),
    (policy_app, "policy"),
    (audit_app, "audit"),
    (cameo_app, "cameo"),
    (protect_app, "protect"),
    (faces_app, "faces"),
    (models_app, "models"),
    (keys_app, "keys"),
    (bank_app, "bank"),
    (hook_app, "hook"),
    (scheduler_app, "scheduler"),
    (guardian_app, "guardian"),
    (scan_app, "scan"),
    (worker_app, "worker"),
):
    app.add_typer(sub, name=name)
