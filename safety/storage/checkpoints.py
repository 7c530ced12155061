"""The audit chain's anchor outside the database: signed checkpoints appended to a file (and logged).

A checkpoint says "the chain had reached entry N, whose hash was H", signed with the audit key. The file lives
under the service home, not in the database, so someone who can rewrite or roll back the database cannot roll the
checkpoints back with it, and cannot write new ones without the key. Several processes append to the one file:
each line is written with a single `write` on a descriptor opened with `O_APPEND` (the kernel places it at the
end, whole) and made durable with `fsync` before the call returns. Each checkpoint is also logged (logger
`cameoguard.audit.checkpoint`), for operators who ship logs somewhere the service cannot rewrite.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime
from pathlib import Path

from safety.audit import Checkpoint, CheckpointLog, checkpoint_line, parse_checkpoints
from safety.errors import StorageError

log = logging.getLogger("cameoguard.audit.checkpoint")


class CheckpointFile:
    """Appends and reads the signed checkpoints of one deployment's audit chain."""

    def __init__(self, path: Path, key: bytes, *, retired: tuple[bytes, ...] = ()) -> None:
        self.path = path
        self._key = key
        self._retired = retired
        self._writer = f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()

    def append(self, seq: int, entry_hash: str, at: datetime) -> Checkpoint:
        """Write one checkpoint and make it durable; `StorageError` when the file cannot be written."""
        checkpoint = Checkpoint(seq, entry_hash, at.isoformat(timespec="microseconds"), self._writer)
        line = checkpoint_line(checkpoint, self._key).encode("ascii")
        try:
            with self._lock:
                created = not self.path.exists()
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    # One write: with O_APPEND the line lands whole at the end, after every other process's lines.
                    written = os.write(fd, line)
                    if written != len(line):
                        raise OSError(f"short write ({written} of {len(line)} bytes)")
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if created:
                    # The new file's name must survive a crash too.
                    folder = os.open(self.path.parent, os.O_RDONLY)
                    try:
                        os.fsync(folder)
                    finally:
                        os.close(folder)
        except OSError as exc:
            raise StorageError(f"cannot write the audit checkpoint file {self.path}: {exc}") from None
        log.info(
            "audit checkpoint %d %s",
            seq,
            entry_hash,
            extra={"seq": seq, "entry_hash": entry_hash, "at": checkpoint.at, "writer": checkpoint.writer},
        )
        return checkpoint

    def read(self) -> CheckpointLog:
        """Every checkpoint written so far (none when the file does not exist yet)."""
        try:
            text = self.path.read_bytes().decode("ascii", errors="replace")
        except FileNotFoundError:
            return CheckpointLog(())
        except OSError as exc:
            raise StorageError(f"cannot read the audit checkpoint file {self.path}: {exc}") from None
        return parse_checkpoints(text, self._key, retired=self._retired)
