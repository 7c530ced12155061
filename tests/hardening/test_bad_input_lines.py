"""Every bad input the integrity review found gives one line on stderr and its exit code: never a traceback, never a
hang, nothing half-written."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from safety.edges.cli import main

INTERNAL_ERROR = 70
ROOT = Path(__file__).resolve().parents[2]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path: Path) -> Path:
    """A 100 kB-free PNG header announcing 100000 x 100000 pixels: decoding it would take 10 GB."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )
    return path


def non_utf8_pack(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("manifest.json", b'\xff\xfe{\x00"\x00n\x00')
    return path


def silence(path: Path) -> Path:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 16000)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


Case = Callable[[Path], list[str]]

CASES: dict[str, Case] = {
    "bomb: protect add": lambda d: ["protect", "add", "--name", "X", "--image", str(bomb_png(d / "b.png"))],
    "bomb: cameo enroll --image": lambda d: [
        "cameo",
        "enroll",
        "--user",
        "maya",
        "--image",
        str(bomb_png(d / "b.png")),
    ],
    "bomb: faces compare": lambda d: ["faces", "compare", str(bomb_png(d / "b.png")), str(d / "b.png")],
    "non-UTF-8 pack manifest": lambda d: ["models", "install", str(non_utf8_pack(d / "p.zip"))],
    "fifo: check --video": lambda d: ["check", "--creator", "maya", "--prompt", "x", "--video", str(fifo(d / "f"))],
    "fifo: protect add": lambda d: ["protect", "add", "--name", "X", "--image", str(fifo(d / "f"))],
    "fifo: protect add --audio": lambda d: ["protect", "add", "--name", "X", "--audio", str(fifo(d / "f"))],
    "protect add with neither photo nor voice": lambda d: ["protect", "add", "--name", "X"],
    "protect add --audio of silence": lambda d: ["protect", "add", "--name", "X", "--audio", str(silence(d / "s.wav"))],
    "fifo: policy validate": lambda d: ["policy", "validate", str(fifo(d / "f"))],
    "fifo: verify": lambda d: ["verify", str(fifo(d / "f"))],
    "fifo: models install": lambda d: ["models", "install", str(fifo(d / "f"))],
    "fifo: bank add": lambda d: ["bank", "add", "--bank", "known_bad", "--video", str(fifo(d / "f"))],
    "restriction over 500 characters": lambda d: ["cameo", "restrict", "--owner", "maya", "--text", "x" * 501],
    "empty restriction": lambda d: ["cameo", "restrict", "--owner", "maya", "--text", "no"],
    "a user blocking themselves": lambda d: ["cameo", "block", "--owner", "maya", "--user", "maya"],
    "port out of range": lambda d: ["serve", "--port", "70000"],
}


def _one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip() and not set(line.strip()) <= set("╭╰─│╮╯ ")]
    assert "Traceback" not in err
    return " ".join(lines)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_one_line_and_an_exit_code(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("CAMEOGUARD_DATABASE_URL", raising=False)
    assert main(["--home", str(home), "user", "add", "maya"]) == 0
    capsys.readouterr()
    args = CASES[case](tmp_path)
    code = main(["--home", str(home), *args])
    err = capsys.readouterr().err
    assert code not in (0, INTERNAL_ERROR), err
    assert _one_line(err), "says why"
    assert not list((home / "media" / "tmp").glob("*")), "nothing half-written"


@pytest.mark.parametrize("home", ["file", "/proc"])
def test_a_home_that_cannot_hold_data(home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a-file" if home == "file" else Path(home)
    if home == "file":
        target.write_text("not a folder")
    code = main(["--home", str(target), "init"])
    err = capsys.readouterr().err
    assert code == 5 and err.count("\n") == 1 and "cannot hold" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CAMEOGUARD_CHECK_WORKERS", "many"), ("CAMEOGUARD_HOOK_MAX_BODY_MB", "-1"), ("CAMEOGUARD_STALE_CHECKING_S", "x")],
)
def test_bad_settings_name_their_variable(
    variable: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    code = main(["--home", str(tmp_path / "home"), "init"])
    err = capsys.readouterr().err
    assert code == 5 and err.count("\n") == 1 and variable in err


def test_a_face_command_refused_at_once_leaves_its_one_line_and_no_noise_from_its_workers(tmp_path: Path) -> None:
    """`faces compare` of a decompression bomb, as a user runs it: the command starts its dlib workers, refuses the
    file before they have loaded and exits; each worker, finding nobody listening, ends without a word (stderr is
    read to its end, which comes only when the last worker has gone)."""
    from safety.errors import ModelUnavailable
    from safety.faces.dlib_analyzer import models_dir

    try:
        if not (models_dir() / "mmod_human_face_detector.dat").is_file():
            pytest.skip("the dlib models are not installed")
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    bomb = str(bomb_png(tmp_path / "b.png"))
    home = str(tmp_path / "home")
    command = ["faces", "compare", bomb, bomb]
    done = subprocess.run(
        [sys.executable, "-c", "from safety.edges.cli import entrypoint; entrypoint()", "--home", home, *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=600,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert "too large to decode safely" in done.stderr and "Traceback" not in done.stderr
