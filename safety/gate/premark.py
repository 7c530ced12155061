"""The publish step's re-encode, started beside the checks.

Most videos publish and the encode is the longest single step, so it overlaps the checks instead of following them;
a video that is not published stops it at the next frame and leaves nothing behind. Nothing is signed or moved
before the decision and the consent re-read: this only saves time.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from safety.publishing import MarkedDraft, Publisher


class Premark:
    """One re-encode running on its own thread; taken by the publish, or dropped."""

    def __init__(self, publisher: Publisher, source: Path, destination_dir: Path, label: str) -> None:
        self._publisher = publisher
        self._cancel = threading.Event()
        self._result: Future[MarkedDraft] = Future()
        self._taken = False
        self._thread = threading.Thread(
            target=self._run, args=(source, destination_dir, label), name="premark", daemon=True
        )
        self._thread.start()

    def _run(self, source: Path, destination_dir: Path, label: str) -> None:
        try:
            self._result.set_result(self._publisher.mark(source, destination_dir, label=label, cancelled=self._cancel))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the result
            self._result.set_exception(exc)

    def take(self) -> MarkedDraft:
        """The marked draft (now the caller's to finish or discard); raises what marking raised."""
        self._taken = True
        return self._result.result()

    def drop(self) -> None:
        """Stop and remove it, unless it was taken; returns once nothing of it is left. Safe to call twice: the
        gate drops it as soon as it knows the video will not publish now, and again when the run ends."""
        if self._taken:
            return
        self._taken = True
        self._cancel.set()
        try:
            marked = self._result.result()
        except BaseException:  # noqa: BLE001 - cancelled or failed: mark() left nothing behind
            return
        self._publisher.discard(marked)
