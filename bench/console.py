"""How fast the reviewer console answers in a real browser: from `n` to a claimed case on screen, and from Enter on a
decision to the next case on screen, in Debian's Chromium through Playwright, on SQLite.

The queue is seeded with reported videos (fake classifier models: the console is measured, not the checks). Each
round presses `n` on the queue page, waits for the case, then decides it with `r`, a few keys and Enter. The target
for `n` to a claimed case is under 1.5 s (median).

    .venv/bin/python -m bench.console [--cases N] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from typing import Any

from generator import Studio
from review_ui.cli import streamlit_command
from safety import Settings, build
from safety.access import OPERATOR
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TARGET_S = 1.5


def _seed(home: Path, cases: int) -> None:
    with build(Settings(home=home), face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        guard.accounts.add_user("maya")
        guard.accounts.add_user("theo")
        guard.review_service().add_reviewer("rita", "reviewer", "correct horse 1")
        for n in range(cases):
            made = Studio(guard).generate("theo", f"a calm harbour at dawn, take {n}", duration_s=1.0, seed=500 + n)
            guard.videos.report(str(made["video_id"]), "maya", "please look", viewer=OPERATOR)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _measure(url: str, cases: int) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    to_case: list[float] = []
    to_next: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url)
        page.get_by_label("Username", exact=True).fill("rita")
        page.get_by_label("Password", exact=True).fill("correct horse 1")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("table#queue")).to_be_visible(timeout=60000)
        held = page.get_by_text("You hold this item until")
        for round_ in range(cases):
            if round_ == 0:
                started = time.perf_counter()
                page.locator("body").press("n")
                expect(held).to_be_visible(timeout=60000)
                to_case.append(time.perf_counter() - started)
            page.locator("body").press("r")
            page.wait_for_function("document.activeElement.getAttribute('aria-label') === 'Reason code'")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            expect(page.get_by_label("Reason code")).to_have_attribute("aria-expanded", "false")
            item = page.url
            started = time.perf_counter()
            page.keyboard.press("Enter")
            if round_ + 1 < cases:
                page.wait_for_function(f"location.href !== {json.dumps(item)}", timeout=60000)
                expect(held).to_be_visible(timeout=60000)
                to_next.append(time.perf_counter() - started)
                # Back to the queue and `n` again: the path a reviewer takes after a break.
                page.goto(url)
                expect(page.locator("table#queue")).to_be_visible(timeout=60000)
                started = time.perf_counter()
                page.locator("body").press("n")
                expect(held).to_be_visible(timeout=60000)
                to_case.append(time.perf_counter() - started)
        browser.close()
    return {
        "cases": cases,
        "n_to_claimed_case_median_s": round(statistics.median(to_case), 3),
        "decision_to_next_case_median_s": round(statistics.median(to_next), 3) if to_next else None,
        "target_s": TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        _seed(home, args.cases)
        port = _port()
        env = {**os.environ, "CAMEOGUARD_HOME": str(home), "CAMEOGUARD_QUALITY_SHARE": "0"}
        env["PYTHONPATH"] = str(_HERE.parent)
        server = subprocess.Popen(streamlit_command(port, "127.0.0.1"), env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not _listening(port) and time.monotonic() < deadline:
                time.sleep(0.3)
            result = _measure(f"http://127.0.0.1:{port}", args.cases)
        finally:
            server.terminate()
            server.wait(timeout=20)
    if args.json:
        print(json.dumps(result))
        return
    median = result["n_to_claimed_case_median_s"]
    print(f"n to a claimed case, median of {result['cases']}: {median} s (target under {TARGET_S} s)")
    print(f"decision (Enter) to the next case, median: {result['decision_to_next_case_median_s']} s")


if __name__ == "__main__":
    main()
