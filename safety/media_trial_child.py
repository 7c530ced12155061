"""The child side of `media.trial_decode`: decode a video's first frames under a memory limit.

Run by path in isolated mode (`python -I .../media_trial_child.py PATH FRAMES MEMORY_MB`), so it imports PyAV
only. Once it is loaded it caps its data segment (Linux counts private anonymous mappings in it) at what
it already uses plus MEMORY_MB, then decodes up to FRAMES frames with the same threading and RGB conversion the
checks use. Exit 0: decoded within the limit; 3: ran out of the allowed memory; 4: the video does not decode.
The reason is printed on one line.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_MEMORY, EXIT_UNDECODABLE = 0, 3, 4


def _data_kib() -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main(path: str, frames: int, memory_mb: int) -> int:
    import av
    import av.error

    try:
        import resource

        used = _data_kib()
        if used is not None:
            cap = used * 1024 + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass  # no enforceable limit on this platform: the trial still proves the file decodes
    decoded = 0
    try:
        with av.open(path, metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frame.reformat(format="rgb24")  # the conversion every check makes, without importing numpy
                decoded += 1
                if decoded >= frames:
                    break
    except MemoryError:
        print(f"decoding needs more than {memory_mb} MB")
        return EXIT_MEMORY
    except av.error.FFmpegError as exc:
        if "memory" in str(exc).lower():
            print(f"decoding needs more than {memory_mb} MB")
            return EXIT_MEMORY
        print(f"does not decode: {exc}")
        return EXIT_UNDECODABLE
    except (OSError, ValueError, IndexError) as exc:
        print(f"does not decode: {exc}")
        return EXIT_UNDECODABLE
    if decoded == 0:
        print("no frame decodes")
        return EXIT_UNDECODABLE
    print(f"decoded {decoded} frames")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
