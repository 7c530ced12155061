"""The child side of `cnn_process`: dlib's CNN face detector serving one frame at a time over stdin/stdout.

Run by path in isolated mode (`python -I .../cnn_child.py MODEL`), so it imports dlib and numpy only, never the
`safety` package (which would cost a second at start). Protocol: after loading, it writes `ready`; then for each
request (a little-endian header of height, width, upsample as uint32, then height*width*3 RGB bytes) it writes
one JSON line: a list of [left, top, right, bottom, confidence], or {"error": message}. It exits at end of input,
which is what happens when its parent goes away.
"""

from __future__ import annotations

import json
import struct
import sys
from typing import BinaryIO

_HEADER = struct.Struct("<III")


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def main(model_path: str) -> int:
    import dlib
    import numpy as np

    model = dlib.cnn_face_detection_model_v1(model_path)
    source, sink = sys.stdin.buffer, sys.stdout
    sink.write("ready\n")
    sink.flush()
    while True:
        header = _read_exactly(source, _HEADER.size)
        if header is None:
            return 0
        height, width, upsample = _HEADER.unpack(header)
        pixels = _read_exactly(source, height * width * 3)
        if pixels is None:
            return 0
        try:
            image = np.frombuffer(pixels, np.uint8).reshape(height, width, 3)
            found = [
                [int(d.rect.left()), int(d.rect.top()), int(d.rect.right()), int(d.rect.bottom()), float(d.confidence)]
                for d in model(image, upsample)
            ]
            sink.write(json.dumps(found) + "\n")
        except Exception as exc:  # noqa: BLE001 -- any failure is reported to the parent, which fails the check
            sink.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        sink.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
