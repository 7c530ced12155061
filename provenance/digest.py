"""Content digests: the identity of a file's bytes.

The media store names files by these digests and the registry records them, so two copies of the same bytes are
one object and any change to a file is visible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from provenance.errors import ProvenanceError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ContentDigest:
    """The sha256 of a file and its size."""

    sha256: str
    """Lower-case hex digest."""
    size: int
    """Size in bytes."""


def sha256_file(path: Path) -> ContentDigest:
    """Digest a file in 1 MiB chunks, so memory stays flat whatever its size."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise ProvenanceError(f"cannot read {path}: {exc.strerror or exc}") from None
    return ContentDigest(sha256=digest.hexdigest(), size=size)
