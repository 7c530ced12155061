"""Refuse to run beside PyPI's `safety` distribution.

A dependency scanner named `safety` exists on PyPI. Installed into the same environment it would shadow or be
shadowed by this package, with confusing failures far from the cause. This check runs at install time (`make
install`) and at CLI start, and stops with one clear message.
"""

from __future__ import annotations

import sys
from importlib import metadata

CLASH_MESSAGE = (
    "PyPI's `safety` package (a dependency scanner, version {version}) is installed in this environment and clashes "
    "with cameoguard's own `safety` package. Install cameoguard into its own virtual environment (`make install` "
    "creates .venv), or run `pip uninstall safety` there."
)


def foreign_safety_version() -> str | None:
    """The version of PyPI's `safety` distribution if it is installed, else None."""
    try:
        return metadata.version("safety")
    except metadata.PackageNotFoundError:
        return None


def clash_message() -> str | None:
    version = foreign_safety_version()
    return CLASH_MESSAGE.format(version=version) if version else None


def main() -> int:
    message = clash_message()
    if message:
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
