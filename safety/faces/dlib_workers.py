"""dlib's CNN detector and face descriptor, run in child processes.

dlib's Python binding holds the GIL for the whole of a CNN detection (about 1.5 s on a 640x360 frame) and of a
descriptor (35-80 ms a face), measured with a spinning thread that got 6% of its idle progress meanwhile; in the
gate's threads that stalls every other check. Two child processes (`dlib_worker_child.py`, run by path in
isolated mode, so each imports dlib and numpy only and no user's main module is re-run, as multiprocessing's
spawn would) run them beside the other checks and beside each other. They start when the analyzer is built, load
the models once and answer one request at a time over pipes; a call takes whichever is idle. If one dies or
answers with an error, the call raises `ModelUnavailable`, which the gate records as a failed check, and a fresh
child replaces it on the next call. HOG detection (which releases the GIL) stays in the parent.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable

# The child module imports only the standard library at its top, so its protocol constants are shared, not copied.
from safety.faces.dlib_worker_child import DETECT, EMBED, HEADER

RawDetection = tuple[int, int, int, int, float]
"""left, top, right, bottom, confidence"""

_CHILD = Path(__file__).with_name("dlib_worker_child.py")


class _Child:
    """One child process; used by one thread at a time (it sits in the idle queue otherwise)."""

    def __init__(self, model_dir: str) -> None:
        # `-I` (isolated): the child ignores PYTHON* variables and the user's site folder, so what it imports is what
        # this install ships, not whatever the environment points at.
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_CHILD), model_dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.release_pipes()

    def release_pipes(self) -> None:
        """Close this side of the pipes of a child that has ended (nothing is left to read or write)."""
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                # A write the child never read fails to flush: it has gone, and so has what it would have answered.
                with contextlib.suppress(OSError):
                    pipe.close()

    def request(self, command: int, image: NDArray[np.uint8], parameter: int, boxes: NDArray[np.int32]) -> Any:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        if not self.ready:
            # The first request waits for the child's "ready" line rather than the constructor: the pool starts its
            # children at once, and they load their models in parallel while the parent goes on.
            if stdout.readline().strip() != b"ready":
                raise ModelUnavailable("the dlib worker process did not start (dlib or a model could not load)")
            self.ready = True
        stdin.write(HEADER.pack(command, image.shape[0], image.shape[1], parameter, len(boxes)))
        stdin.write(image.tobytes())
        if len(boxes):
            stdin.write(boxes.astype("<i4").tobytes())
        stdin.flush()
        line = stdout.readline()
        # End of output: the child died mid-request (killed for memory, crashed inside dlib); the caller replaces it.
        if not line:
            raise ModelUnavailable("the dlib worker process died")
        return json.loads(line)


class DlibWorkers:
    """A small pool of dlib child processes."""

    def __init__(self, model_dir: Path, processes: int = 2) -> None:
        self._model_dir = str(model_dir)
        self._idle: queue.Queue[_Child] = queue.Queue()
        for _ in range(processes):
            # The pool never shrinks: a child that failed is replaced before the error is raised, so the next caller
            # does not wait on an empty queue for ever.
            self._idle.put(_Child(self._model_dir))

    def _call(self, command: int, image: NDArray[np.uint8], parameter: int, boxes: NDArray[np.int32]) -> Any:
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise ValueError(f"expected an RGB image, got shape {pixels.shape}")
        # Blocks until a child is free: the pool's size is the number of dlib computations that run at once, however
        # many threads ask.
        child = self._idle.get()
        # Died while idle (killed by the OOM killer, say): replaced before use rather than failing the request it would
        # have been given.
        if not child.alive():
            child.kill()  # reaps it
            child = _Child(self._model_dir)
        try:
            answer = child.request(command, pixels, parameter, boxes)
        except (ModelUnavailable, OSError, ValueError) as exc:
            child.kill()
            self._idle.put(_Child(self._model_dir))
            raise ModelUnavailable(
                str(exc) if isinstance(exc, ModelUnavailable) else f"dlib worker failed: {exc}"
            ) from None
        # Returned to the pool before the answer is inspected: an error the child reported (a bad image) leaves it
        # usable.
        self._idle.put(child)
        if isinstance(answer, dict):
            raise ModelUnavailable(f"the dlib worker failed: {answer.get('error')}")
        return answer

    def _replace(self, child: _Child) -> None:
        child.kill()
        self._idle.put(_Child(self._model_dir))

    def detect_cnn(self, image: NDArray[np.uint8], upsample: int) -> list[RawDetection]:
        """Faces found by the CNN: raw boxes in the image's pixels."""
        answer = self._call(DETECT, image, upsample, np.zeros((0, 4), np.int32))
        return [(int(a[0]), int(a[1]), int(a[2]), int(a[3]), float(a[4])) for a in answer]

    def embed(
        self, image: NDArray[np.uint8], boxes: list[tuple[int, int, int, int]], jitters: int
    ) -> NDArray[np.float32]:
        """128-D descriptors of the faces in `boxes` (left, top, right, bottom), aligned with the 5-point model."""
        answer = self._call(EMBED, image, jitters, np.asarray(boxes, np.int32).reshape(-1, 4))
        return np.asarray(answer, dtype=np.float32).reshape(len(boxes), 128)

    def close(self) -> None:
        """End every idle child's input and wait for it."""
        while True:
            try:
                child = self._idle.get_nowait()
            except queue.Empty:
                return
            stdin = child.process.stdin
            if stdin is not None:
                # The end of its input is the child's signal to end; a broken pipe means it already has.
                with contextlib.suppress(OSError):
                    stdin.close()
            try:
                # Closing its input lets the child finish and exit on its own; one that does not within five seconds is
                # killed so that shutdown never hangs.
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
            child.release_pipes()
