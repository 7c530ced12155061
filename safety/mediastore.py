"""The media store: files under HOME/media, written atomically.

Drafts are named by their content and a per-submission suffix (`drafts/ab/<sha256>-<nonce>.mp4`): the same bytes
submitted twice at once are two drafts, so one submission finishing never removes the other's file. Published and
quarantined files live under their video id (`published/<video_id>/<sha256>.mp4`), because their lifetime is that
of a video row; so do the manifest stores of published videos (`manifests/<video_id>/<uuid>.c2pa`, the manifest
repository the Soft Binding Resolution API serves from). Every write goes to a temporary file in the destination
folder, is fsynced and renamed into place, so a crash leaves either the old state or the new one, never half a file.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from provenance import ProvenanceError, sha256_file
from safety.errors import InvalidMediaError, StorageError

AREAS = ("drafts", "published", "quarantine", "cameos", "protected", "tmp", "submitted", "manifests")


@dataclass(frozen=True)
class StoredFile:
    """A file in the store."""

    path: Path
    """Absolute path."""
    sha256: str
    """Content digest."""
    size: int
    """Size in bytes."""


def write_png_atomically(pixels: NDArray[np.uint8], target: Path) -> None:
    """An RGB image as a PNG at `target`, whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary file sits in the target's own folder: a rename within one filesystem is atomic, across filesystems
    # it is a copy that a crash can cut in half.
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".png", dir=target.parent)
    os.close(fd)
    try:
        Image.fromarray(pixels).save(tmp_name, format="PNG")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_atomically(data: bytes, target: Path) -> None:
    """`data` at `target`, whole or not at all (fsynced before the rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


class MediaStore:
    """Content-addressed, atomically written files under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def ensure(self) -> None:
        for area in AREAS:
            (self.root / area).mkdir(parents=True, exist_ok=True)

    def area(self, name: str) -> Path:
        return self.root / name

    def _copy_atomically(self, source: Path, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=destination.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                # On disk before the rename: after a crash the name points at the whole file or at nothing.
                os.fsync(out.fileno())
            os.replace(tmp, destination)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_draft(self, source: Path) -> StoredFile:
        """Copy a submitted file into drafts under its digest."""
        try:
            digest = sha256_file(source)
        except ProvenanceError as exc:
            raise InvalidMediaError(str(exc)) from None
        # Each submission owns its draft, even for identical bytes: one gate must never delete another's draft.
        nonce = secrets.token_hex(6)
        destination = (
            self.root / "drafts" / digest.sha256[:2] / f"{digest.sha256}-{nonce}{source.suffix.lower() or '.mp4'}"
        )
        try:
            self._copy_atomically(source, destination)
        except OSError as exc:
            raise StorageError(f"cannot store draft: {exc}") from None
        return StoredFile(destination, digest.sha256, digest.size)

    def stage(self, source: Path, area: str, video_id: str) -> tuple[Path, Path]:
        """Copy `source` next to its final place in `area`; returns (staged temp file, final path).

        The caller renames the staged file with `commit_staged` inside the transaction that records the move,
        and removes it with `discard` if that transaction fails.
        """
        # Only these two areas hold files whose place a video row records; any other area staged here would be a file no
        # row accounts for.
        if area not in ("published", "quarantine"):
            raise ValueError(f"cannot stage into {area}")
        try:
            digest = sha256_file(source)
        except ProvenanceError as exc:
            raise StorageError(f"cannot stage {area} file: {exc}") from None
        final = self.root / area / video_id / f"{digest.sha256}{source.suffix.lower() or '.mp4'}"
        # Beside its final name, in the same folder, so `commit_staged` is a rename and nothing else; the leading dot
        # keeps it out of listings, and the sweeper removes one a crash left behind.
        staged = final.with_name(f".staged-{final.name}")
        try:
            self._copy_atomically(source, staged)
        except OSError as exc:
            raise StorageError(f"cannot stage {area} file: {exc}") from None
        return staged, final

    @staticmethod
    def commit_staged(staged: Path, final: Path) -> None:
        try:
            # Replacing an existing file is fine: the final name is the content's digest, so whatever was there held the
            # same bytes.
            os.replace(staged, final)
        except OSError as exc:
            raise StorageError(f"cannot move file into place: {exc}") from None

    @staticmethod
    def discard(*paths: Path | None) -> None:
        for path in paths:
            if path is not None:
                # Missing is fine: discard runs on cleanup paths that may run twice (a retry, the sweeper after a
                # crash).
                path.unlink(missing_ok=True)
                if path.parent.exists() and path.parent.name.startswith("vid_") and not any(path.parent.iterdir()):
                    path.parent.rmdir()
