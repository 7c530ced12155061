"""Publish cost of each input format against the 720p H.264 control, measured in one run.

Every variant is a 4 s clip of the same moving picture; the publish step (mark, sign, fingerprint) runs on each and
its time is printed as a ratio to the control's, so the machine's speed cancels out.

    .venv/bin/python -m bench.formats [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import statistics
import tempfile
import time
from typing import Any

import av
import numpy as np

from provenance import Publication
from safety import Settings, build

VARIANTS: dict[str, dict[str, Any]] = {
    "720p H.264 (control)": {},
    "720p 10-bit H.264": {"pix_fmt": "yuv420p10le"},
    "720p 4:2:2 H.264": {"pix_fmt": "yuv422p"},
    "720p HEVC": {"codec": "libx265"},
    "720p VP9 WebM": {"codec": "libvpx-vp9", "fmt": "webm"},
    "720p AV1": {"codec": "libsvtav1"},
    "640x358 H.264": {"size": (640, 358)},
    "1280x720 rotated 90 (portrait phone)": {"rotate": True},
    "720p 60 fps": {"rate": 60},
}


def make(
    path: Path,
    *,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    size: tuple[int, int] = (1280, 720),
    rate: int = 30,
    fmt: str = "mp4",
    rotate: bool = False,
) -> Path:
    width, height = size
    rng = np.random.default_rng(5)
    texture = rng.integers(30, 225, (height // 16 + 2, width // 16 + 2, 3), dtype=np.uint8)
    with av.open(str(path), "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(rate * 4):
            image = np.kron(np.roll(texture, i // 2, axis=1), np.ones((16, 16, 1), np.uint8))[:height, :width]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24").reformat(format=pix_fmt)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    if rotate:
        import struct

        data = bytearray(path.read_bytes())
        at = data.find(b"tkhd")
        matrix = at + 8 + (32 if data[at + 4] == 1 else 20) + 16
        data[matrix : matrix + 36] = struct.pack(">9I", 0, 0x00010000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000)
        path.write_bytes(bytes(data))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-formats-") as scratch,
        build(Settings(home=Path(scratch) / "home")) as guard,
    ):
        root = Path(scratch)
        for index, (name, spec) in enumerate(VARIANTS.items()):
            suffix = "webm" if spec.get("fmt") == "webm" else "mp4"
            clip = make(root / f"v{index}.{suffix}", **spec)
            times = []
            for repeat in range(3):
                started = time.perf_counter()
                prepared = guard.publisher.prepare(
                    clip, root / f"out{index}-{repeat}", Publication(f"vid_{index}", "dec", "bench@1", ()), label="AI"
                )
                times.append(time.perf_counter() - started)
                prepared.staged.unlink()
            rows.append({"variant": name, "publish_s": round(statistics.median(times), 3)})
        guard.close()
    control = rows[0]["publish_s"]
    for row in rows:
        row["ratio_to_control"] = round(row["publish_s"] / control, 2)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("publish step (mark, sign, fingerprint) per input format, 4 s clips")
    for row in rows:
        print(f"  {row['variant']:40s} {row['publish_s']:6.2f} s  {row['ratio_to_control']:5.2f}x the control")


if __name__ == "__main__":
    main()
