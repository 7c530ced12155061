"""Loading policy packs: from a file, or one of the packs shipped inside this package."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from policies.errors import PolicyError, PolicyValidationError, ValidationIssue
from policies.parsing import parse_pack
from policies.types import PolicyPack


def load_pack(path: Path | str) -> PolicyPack:
    """Read and validate a pack file."""
    file = Path(path)
    # Only regular files: reading a FIFO or a device would hang or never end.
    if file.exists() and not file.is_file():
        raise PolicyError(f"cannot read policy pack {file}: not a regular file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy pack {file}: {exc}") from None
    return _parsed(text, str(file))


@functools.lru_cache(maxsize=16)
def _parsed(text: str, source: str) -> PolicyPack:
    # A process may build its services many times (a CLI command each, a test each) from the same few files: the
    # same text always parses to the same frozen pack, and parsing is most of the cost of a build. A pack that
    # fails to parse raises every time (exceptions are never cached).
    return parse_pack(text, source=source)


def validate_file(path: Path | str) -> list[ValidationIssue]:
    """Every issue in a pack file; empty when it is valid."""
    try:
        load_pack(path)
    except PolicyValidationError as exc:
        return exc.issues
    except PolicyError as exc:
        return [ValidationIssue(str(path), 0, str(exc))]
    return []


def bundled_pack_names() -> list[str]:
    """Names of the packs shipped inside this package."""
    folder = resources.files("policies") / "packs"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def bundled_pack_path(name: str) -> Path:
    """Path of a shipped pack; `PolicyError` when there is none of that name."""
    if name not in bundled_pack_names():
        raise PolicyError(f"no bundled policy pack named `{name}`; bundled: {', '.join(bundled_pack_names())}")
    return Path(str(resources.files("policies") / "packs" / f"{name}.yaml"))


def load_bundled_pack(name: str) -> PolicyPack:
    """Load and validate a shipped pack."""
    return load_pack(bundled_pack_path(name))
