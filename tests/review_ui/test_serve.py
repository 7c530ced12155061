"""`cameoguard review serve` runs Streamlit without its developer toolbar and stops it when it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review_ui.cli import streamlit_command
from safety import CameoGuard
from tests.review_ui.test_browser import _free_port, console_env, wait_for_port


def _servers_on(port: int) -> list[int]:
    """Processes whose command line is a Streamlit server on this port."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in command and str(port).encode() in command:
            found.append(int(entry.name))
    return found


def test_the_server_has_no_deploy_toolbar() -> None:
    command = streamlit_command(8501, "127.0.0.1")
    assert command[command.index("--client.toolbarMode") + 1] == "minimal"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_review_serve_stops_its_server(people: CameoGuard, stop: signal.Signals) -> None:
    port = _free_port()
    cameoguard = str(Path(sys.executable).parent / "cameoguard")
    serve = subprocess.Popen(
        [cameoguard, "--home", str(people.settings.home), "review", "serve", "--port", str(port)],
        env=console_env(people),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        assert _servers_on(port), "the server runs as a child of review serve"
        serve.send_signal(stop)
        assert serve.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _servers_on(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _servers_on(port), "no server is left running without its parent"
    finally:
        if serve.poll() is None:
            serve.kill()
        for pid in _servers_on(port):
            os.kill(pid, signal.SIGKILL)
