"""The `cameoguard` command line, one module per area (accounts, cameos, protection, videos, tracing, operations).

Every command that reports something takes `--json`; output goes through `safety.edges.terminal`. Errors are translated
here, at the edge: a `SafetyError` prints one line on stderr and exits with its `exit_code` (3 bad input,
4 conflict, 5 configuration, 6 storage); usage errors exit 2; nothing prints a traceback unless CAMEOGUARD_DEBUG=1.
Commands from other packages (`generate`, `demo`, `review`) plug in through the `cameoguard.commands` entry point
group, so `safety` never imports them.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from typer.exceptions import TyperException

from policies import PolicyError
from safety.clash import clash_message
from safety.edges.cli import accounts, cameos, operations, protection, tracing, videos
from safety.edges.cli.app import app
from safety.edges.terminal import CliState
from safety.errors import SafetyError
from safety.settings import Settings

_AREAS = (accounts, cameos, operations, protection, tracing, videos)  # importing them registers their commands


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option("--home", envvar="CAMEOGUARD_HOME", help="Data directory (default ./var).")
    ] = None,
) -> None:
    settings = Settings(home=home) if home is not None else Settings()
    ctx.obj = CliState(settings)
    ctx.call_on_close(ctx.obj.close)


_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded  # noqa: PLW0603 - commands register once per process
    if _plugins_loaded:
        return
    for entry in metadata.entry_points(group="cameoguard.commands"):
        register = entry.load()
        register(app)
    _plugins_loaded = True


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Fewer glibc malloc arenas: the checks run on many threads, and by default each thread that allocates
    frames gets its own arena, which keeps freed frames' memory (about a tenth of a serving process's peak).
    Must run before the threads start; a no-op where the C library is not glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except OSError:
        return


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    limit_malloc_arenas()
    message = clash_message()
    if message:
        print(f"error: {message}", file=sys.stderr)
        return 1
    _load_plugins()
    command = typer.main.get_command(app)
    try:
        # Without standalone mode, an Exit raised by a command comes back as the return value.
        returned = command.main(args=argv, prog_name="cameoguard", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except TyperException as exc:  # usage errors: Typer prints them the way Click does
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except SafetyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 5
    except ValidationError as exc:
        # A bad CAMEOGUARD_* value: name the variable, as the operator wrote it.
        first = exc.errors()[0]
        variable = f"CAMEOGUARD_{str(first['loc'][0]).upper()}" if first.get("loc") else "a CAMEOGUARD_ setting"
        print(f"error: {variable} is not valid: {first.get('msg', 'invalid value')}", file=sys.stderr)
        return 5
    except SettingsError as exc:
        # A value pydantic-settings could not even decode (it names the field in its message).
        found = re.search(r'field "([a-z0-9_]+)"', str(exc))
        variable = f"CAMEOGUARD_{found.group(1).upper()}" if found else "a CAMEOGUARD_ setting"
        print(f"error: {variable} is not valid: it cannot be read", file=sys.stderr)
        return 5
    except Exception as exc:
        if os.environ.get("CAMEOGUARD_DEBUG") == "1":
            raise
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 70
    return returned if isinstance(returned, int) else 0


def entrypoint() -> None:
    raise SystemExit(main())


__all__ = ["app", "entrypoint", "main"]
