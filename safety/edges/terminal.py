"""Terminal output shared by every command of `cameoguard`, plugins included: the per-invocation state, and how
results are printed (text for people, or `--json`). `generator` and `review_ui` register their commands through the
`cameoguard.commands` entry point and print through this module; they never import `safety.edges.cli`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safety.domain import GateResult
from safety.revocation import PurgeReceipt
from safety.settings import Settings
from safety.wiring import CameoGuard, build

out = Console()
# Errors are printed whole, never wrapped: a `file:line: message` broken across lines is no longer one a reader
# (or an editor) can follow.
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@dataclass
class CliState:
    """Per-invocation state: settings, and the use cases built on first use."""

    settings: Settings
    _guard: CameoGuard | None = field(default=None)

    def guard(self) -> CameoGuard:
        """Every use case, built once per invocation."""
        if self._guard is None:
            self._guard = build(self.settings)
        return self._guard

    def close(self) -> None:
        if self._guard is not None:
            self._guard.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def emit_json(payload: Any) -> None:
    out.print_json(json.dumps(payload, default=str))


def emit(payload: Any, as_json: bool, text: str) -> None:
    """The payload as JSON, or the text for people."""
    if as_json:
        emit_json(payload)
    else:
        out.print(escape(text))


def print_decision(result: dict[str, Any]) -> None:
    """A decision, for people."""
    colour = {"publish": "green", "review": "yellow", "block": "red"}[result["decision"]]
    out.print(f"[bold]{result['video_id']}[/bold]: [{colour}]{result['decision']}[/{colour}] ({result['policy']})")
    for reason in result["reasons"]:
        out.print(escape(f"  - {reason['code']} [{reason['action']}]: {reason['message']}"))
    out.print(f"  checks: {', '.join(result['checks_run'])}; {result['timings_ms'].get('total', 0):.0f} ms")
    if result["published_path"]:
        out.print(f"  published: {result['published_path']}", soft_wrap=True)


def report_result(result: GateResult | dict[str, Any], as_json: bool) -> None:
    """A gate decision, as JSON or for people."""
    payload = result.to_json() if isinstance(result, GateResult) else result
    if as_json:
        emit_json(payload)
    else:
        print_decision(payload)


def uses_text(videos: list[dict[str, Any]]) -> str:
    """Videos a person appears in, a line each."""
    lines = [f"{v['video_id']}  {v['creator']:<12} {v['status']:<10} {v['prompt'][:50]}" for v in videos]
    return "\n".join(lines) or "no videos"


def receipts_text(receipts: list[PurgeReceipt] | tuple[PurgeReceipt, ...]) -> str:
    if not receipts:
        return "nothing to purge"
    return "\n".join(
        f"receipt {r.receipt_id}: purged {len(r.purged)} video(s) ({r.reason}): {', '.join(r.purged)}" for r in receipts
    )


def decisions_table(views: list[dict[str, Any]], title: str) -> Table:
    """A table of videos and their decisions, newest last."""
    table = Table(title=title)
    for column in ("video", "creator", "prompt", "decision", "status", "reasons"):
        table.add_column(column, overflow="fold")
    for view in views:
        reasons = ", ".join(r["code"] for d in view["decisions"][-1:] for r in d["reasons"]) or "-"
        table.add_row(
            view["video_id"], view["creator"], view["prompt"][:40], view["decision"] or "-", view["status"], reasons
        )
    return table
