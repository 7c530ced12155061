"""The child side of `dlib_workers`: dlib's CNN detector and face descriptor serving requests over stdin/stdout.

Run by path in isolated mode (`python -I .../dlib_worker_child.py MODEL_DIR`), so it imports dlib and numpy only,
never the `safety` package (which would cost a second at start). Protocol: after loading, it writes `ready`; then
for each request, a little-endian header (command, height, width, parameter, box count), the RGB pixels, and for
`embed` the boxes as int32 (left, top, right, bottom); it answers with one JSON line. `detect` (command 1,
parameter = upsampling) answers [[left, top, right, bottom, confidence], ...]; `embed` (command 2, parameter =
jitters) answers one 128-number descriptor per box; a failure answers {"error": message}. It exits at end of
input, which is what happens when its parent goes away, and exits as quietly when its parent closed the pipe it
answers on (a command that failed at once, before the models had loaded): the parent reported what went wrong, and
a second message from a child it no longer listens to would only bury that one line. Ctrl-C reaches the whole
process group; the parent decides what an interrupt means, so the child ignores it and ends with its input.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct("<BIIiI")
DETECT, EMBED = 1, 2


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _answer(models: dict[str, Any], command: int, image: Any, parameter: int, boxes: Any) -> Any:
    import dlib

    if command == DETECT:
        return [
            [int(d.rect.left()), int(d.rect.top()), int(d.rect.right()), int(d.rect.bottom()), float(d.confidence)]
            for d in models["cnn"](image, parameter)
        ]
    if command == EMBED:
        out = []
        for left, top, right, bottom in boxes:
            shape = models["landmarks5"](image, dlib.rectangle(int(left), int(top), int(right), int(bottom)))
            out.append([float(v) for v in models["recognizer"].compute_face_descriptor(image, shape, parameter)])
        return out
    return {"error": f"unknown command {command}"}


def main(model_dir: str) -> int:
    import dlib
    import numpy as np

    folder = Path(model_dir)
    models = {
        "cnn": dlib.cnn_face_detection_model_v1(str(folder / "mmod_human_face_detector.dat")),
        "landmarks5": dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
        "recognizer": dlib.face_recognition_model_v1(str(folder / "dlib_face_recognition_resnet_model_v1.dat")),
    }
    source, sink = sys.stdin.buffer, sys.stdout
    sink.write("ready\n")
    sink.flush()
    while True:
        header = _read_exactly(source, HEADER.size)
        if header is None:
            return 0
        command, height, width, parameter, count = HEADER.unpack(header)
        pixels = _read_exactly(source, height * width * 3)
        raw_boxes = _read_exactly(source, count * 16) if count else b""
        if pixels is None or raw_boxes is None:
            return 0
        try:
            image = np.frombuffer(pixels, np.uint8).reshape(height, width, 3)
            boxes = np.frombuffer(raw_boxes, "<i4").reshape(count, 4)
            answer = _answer(models, command, image, parameter, boxes)
        except Exception as exc:  # noqa: BLE001 -- any failure is reported to the parent, which fails the check
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sink.write(json.dumps(answer) + "\n")
        sink.flush()


def run(model_dir: str) -> int:
    """`main`, ending quietly (status 0) when the parent no longer reads the answers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return main(model_dir)
    except BrokenPipeError:
        # Nothing more may reach the closed pipe, not even the interpreter's last flush of stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
