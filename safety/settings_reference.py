"""The settings as operators read them: the README's settings table and deploy/README.md's process table, both
written from the fields of `Settings` (a test keeps the documents equal to what these return)."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from safety.settings import PROCESSES, Settings


def _type_name(annotation: Any) -> str:
    """How a field's type reads in the settings table."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return _type_name(next(a for a in args if a is not type(None)))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (tuple, frozenset, list, set):
        return f"list of {_type_name(args[0])}"
    names: dict[Any, str] = {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, str(annotation))


def _default_text(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, frozenset, list)):
        return ",".join(sorted(str(v) for v in value)) or "empty"
    return str(value)


def processes_of(name: str) -> list[str]:
    """The processes that read the setting `name` (a field of `Settings`)."""
    extra = Settings.model_fields[name].json_schema_extra
    listed = extra.get("processes", []) if isinstance(extra, dict) else []
    return [str(p) for p in listed] if isinstance(listed, list) else []


def settings_table() -> str:
    """The README's settings table, written from the fields: variable, type, default, processes, meaning."""
    rows = ["| variable | type | default | needed by | meaning |", "|---|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        processes = processes_of(name)
        who = "all" if set(processes) == set(PROCESSES) else ", ".join(processes)
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(
            f"| `CAMEOGUARD_{name.upper()}` | {_type_name(field.annotation)} | `{_default_text(field.default)}` "
            f"| {who} | {meaning} |"
        )
    return "\n".join(rows) + "\n"


PROCESS_COMMANDS = {
    "serve": "cameoguard serve --host 0.0.0.0 --port 8080",
    "worker": "cameoguard worker --concurrency 2",
    "console": "cameoguard review serve --host 0.0.0.0 --port 8501",
    "scheduler": "cameoguard scheduler run --interval 300",
    "cli": "cameoguard migrate",
}
"""How each process is started (the deployment files use the same commands; `cli` stands for every one-off)."""


def process_table() -> str:
    """Each process, its command, and the settings it reads beyond those every process reads."""
    every = [name for name in Settings.model_fields if set(processes_of(name)) == set(PROCESSES)]
    rows = ["| process | command | settings of its own |", "|---|---|---|"]
    for process in PROCESSES:
        own = [
            f"`CAMEOGUARD_{n.upper()}`" for n in Settings.model_fields if n not in every and process in processes_of(n)
        ]
        rows.append(f"| {process} | `{PROCESS_COMMANDS[process]}` | {', '.join(own) or '-'} |")
    shared = ", ".join(f"`CAMEOGUARD_{n.upper()}`" for n in every)
    return "\n".join([*rows, "", f"Every process reads: {shared}.", ""])
