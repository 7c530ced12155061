"""Opening a file a client named, once: no symlink at its last component, a regular file, really inside an allowed
folder, and copied from the descriptor that was checked.

Checking a path and then opening it is a race: between the two, the file can be swapped for a symlink to anything
on the machine. Here the check is made on the open descriptor itself (what it is, and where it really lies), and
the bytes are copied from that same descriptor, so what was checked is what is read.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from safety.errors import InvalidMediaError, SafetyError


class PathRefused(SafetyError):
    """A client named a file outside the folders it may use (or a symlink)."""

    exit_code = 3


def _real_path(fd: int, named: Path) -> Path:
    proc = Path(f"/proc/self/fd/{fd}")
    if proc.exists():
        return Path(os.readlink(proc))
    # Without /proc: the named path's real location must be the very file that is open.
    real = Path(os.path.realpath(named))
    opened, found = os.fstat(fd), os.stat(real)
    if (opened.st_dev, opened.st_ino) != (found.st_dev, found.st_ino):
        raise PathRefused("the file changed while it was opened")
    return real


def copy_allowed_file(named: Path, folders: tuple[Path, ...], target: Path) -> Path:
    """Copy the regular file `named` (inside one of `folders`, reached without a final symlink) to `target`."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(named, flags)
    except FileNotFoundError:
        raise InvalidMediaError("no such file") from None
    except OSError as exc:
        # ELOOP: the last component is a symlink; anything else: not a file this hook may read.
        raise PathRefused("paths must name regular files inside the allowed folders, not symlinks") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidMediaError("the path does not name a regular file")
        real = _real_path(fd, named).resolve()
        if not any(real.is_relative_to(folder.resolve()) for folder in folders):
            raise PathRefused("paths must be absolute and inside the allowed folders")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as source, target.open("wb") as copy:
            fd = -1  # the file object owns it now
            shutil.copyfileobj(source, copy, 1 << 20)
        return target
    finally:
        if fd >= 0:
            os.close(fd)
