"""The console in a real Chromium: log in, claim, decide, with screenshots kept under tests/artifacts/.

Uses Debian's chromium (`/usr/bin/chromium`, installed by `.ci/run`) through Playwright's `executable_path`;
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safety import CameoGuard

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def console(people: CameoGuard, reviews: Any, held: dict[str, Any]) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    if people.database.is_postgres:
        pytest.skip("the browser test runs once, on SQLite; claims on PostgreSQL are tested in test_review_service")
    port = _free_port()
    env = {
        **os.environ,
        "CAMEOGUARD_HOME": str(people.settings.home),
        "CAMEOGUARD_DATABASE_URL": people.settings.resolved_database_url,
        "CAMEOGUARD_ADULT_POLICY": people.settings.adult_policy,
        "CAMEOGUARD_TEEN_POLICY": people.settings.teen_policy,
        "CAMEOGUARD_QUALITY_SHARE": "0",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "review_ui" / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_login_claim_decide_in_chromium(console: str, people: CameoGuard, held: dict[str, Any]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(console)
        page.get_by_label("Username", exact=True).fill("rita")
        page.get_by_label("Password", exact=True).fill("correct horse 1")
        page.screenshot(path=str(ARTIFACTS / "1-login.png"))
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Claim next")).to_be_visible(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "2-queue.png"), full_page=True)
        page.get_by_role("button", name="Claim next").click()
        expect(page.get_by_role("button", name="Submit decision")).to_be_visible(timeout=30000)
        assert "blur(24px)" in (page.locator("video").first.get_attribute("style") or "")
        page.screenshot(path=str(ARTIFACTS / "3-case.png"), full_page=True)
        page.get_by_text("reject", exact=True).click()
        # Nothing is preselected: the reason code is chosen among those that fit a rejection of this item.
        # Choosing the outcome reruns the page; the code list is ready once the dropdown shows options.
        for _ in range(5):
            page.wait_for_timeout(500)
            page.locator('div[data-testid="stSelectbox"]').first.click()
            option = page.get_by_role("option").first
            try:
                option.wait_for(timeout=5000)
            except PlaywrightTimeout:  # the dropdown closed under a rerun: open it again
                continue
            option.click()
            break
        page.get_by_label("Note").fill("misleading election claim")
        page.get_by_role("button", name="Submit decision").click()
        expect(page.get_by_text("Decided: reject")).to_be_visible(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "4-decided.png"), full_page=True)
        browser.close()
    assert people.videos.show(held["video_id"]).video.status.value == "blocked"
    assert all((ARTIFACTS / name).stat().st_size > 1000 for name in ("1-login.png", "3-case.png", "4-decided.png"))
