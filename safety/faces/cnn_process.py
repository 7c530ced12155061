"""dlib's CNN face detector, run in a child process.

dlib's Python binding holds the GIL for the whole of a CNN detection (about 1.5 s on a 640x360 frame, measured:
a spinning thread got 6% of its idle progress meanwhile), which stalls every other check the gate runs in threads
of the same process. In a child process it runs beside them. The child (`cnn_child.py`, run by path in isolated
mode, so it imports dlib and numpy only and no user's main module is re-run, as multiprocessing's spawn would)
is started when the analyzer is built, loads the model once and answers one frame at a time over pipes. If it
dies or answers with an error, the call raises `ModelUnavailable`, which the gate records as a failed check; the
next call starts a fresh child.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from safety.errors import ModelUnavailable

RawDetection = tuple[int, int, int, int, float]
"""left, top, right, bottom, confidence"""

_HEADER = struct.Struct("<III")
_CHILD = Path(__file__).with_name("cnn_child.py")


class CnnDetectorProcess:
    """One child process holding the CNN detector; calls are served one at a time."""

    def __init__(self, model_path: Path) -> None:
        self._model_path = str(model_path)
        self._child: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child (loading takes a moment) without waiting for it."""
        with self._lock:
            self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-I", str(_CHILD), self._model_path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            self._ready = False
        return self._child

    def _fail(self, message: str) -> ModelUnavailable:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
        return ModelUnavailable(f"the CNN face detector process {message}")

    def detect(self, image: NDArray[np.uint8], upsample: int) -> list[RawDetection]:
        """Faces found by the CNN: raw boxes in the image's pixels."""
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise ValueError(f"expected an RGB image, got shape {pixels.shape}")
        with self._lock:
            child = self._spawn()
            assert child.stdin is not None and child.stdout is not None
            try:
                if not self._ready:
                    if child.stdout.readline().strip() != b"ready":
                        raise self._fail("did not start (dlib or the model could not load)")
                    self._ready = True
                child.stdin.write(_HEADER.pack(pixels.shape[0], pixels.shape[1], upsample))
                child.stdin.write(pixels.tobytes())
                child.stdin.flush()
                line = child.stdout.readline()
            except OSError as exc:
                raise self._fail(f"failed: {exc}") from None
            if not line:
                raise self._fail("died")
            answer = json.loads(line)
            if isinstance(answer, dict):
                raise ModelUnavailable(f"the CNN face detector failed: {answer.get('error')}")
            return [(int(a[0]), int(a[1]), int(a[2]), int(a[3]), float(a[4])) for a in answer]

    def close(self) -> None:
        """Ask the child to finish (end of input) and wait for it."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None and child.stdin is not None:
            child.stdin.close()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
