"""The console in a real Chromium: a deep link through the login form, a reload that keeps the session, keyboard
shortcuts, a face-evidence case, the queue at 1280 px; screenshots are kept under tests/artifacts/.

Uses Debian's chromium (`/usr/bin/chromium`, installed by `.ci/run`) through Playwright's `executable_path`;
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review_ui.browser import UNDO_S
from review_ui.cli import streamlit_command
from safety import CameoGuard, ReviewService
from safety.access import OPERATOR

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# The video outside Streamlit's stale copies (a rerun keeps the old elements, faded, while it draws the new ones).
_LIVE_VIDEO_UNBLURRED = """[...document.querySelectorAll('video')].some(
    (v) => !v.closest('[data-stale="true"]') && !v.style.filter.includes('blur'))"""


def _live(page: Any, locator: Any) -> Any:
    """`locator` outside the elements Streamlit keeps, faded, while a rerun draws their replacements (a strict
    locator would otherwise find both, the stale one disabled)."""
    return locator.and_(page.locator(':not([data-stale="true"] *)'))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"nothing listens on {port} after {timeout_s} s")


def console_env(people: CameoGuard) -> dict[str, str]:
    return {
        **os.environ,
        "CAMEOGUARD_HOME": str(people.settings.home),
        "CAMEOGUARD_DATABASE_URL": people.settings.resolved_database_url,
        "CAMEOGUARD_ADULT_POLICY": people.settings.adult_policy,
        "CAMEOGUARD_TEEN_POLICY": people.settings.teen_policy,
        "CAMEOGUARD_QUALITY_SHARE": "0",
        "CAMEOGUARD_REVIEWER_PASSWORD_KIB": "1024",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def console(people: CameoGuard, reviews: ReviewService) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    port = _free_port()
    server = subprocess.Popen(
        streamlit_command(port, "127.0.0.1"), env=console_env(people), stdout=subprocess.DEVNULL, stderr=None
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _launch(p: Any) -> Any:
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    )


@pytest.mark.slow
def test_deep_link_reload_shortcuts_and_face_evidence_in_chromium(
    console: str, people: CameoGuard, reviews: ReviewService, lookalike: dict[str, Any], held: dict[str, Any]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    items = {i.video_id: i.id for i in reviews.queue(reviews.whoami(reviews.login("sena", "correct horse 3")))}
    face_item, next_item = items[lookalike["video_id"]], items[held["video_id"]]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        # A busy machine renders slowly: waits are generous, never the measure of anything.
        page.set_default_timeout(60000)
        expect.set_options(timeout=60000)
        # A link to a case, opened before logging in: the login form, then that case.
        page.goto(f"{console}/case?item={face_item}")
        page.get_by_label("Username", exact=True).fill("rita")
        page.get_by_label("Password", exact=True).fill("correct horse 1")
        page.screenshot(path=str(ARTIFACTS / "1-login.png"))
        page.get_by_role("button", name="Log in").click()
        expect(_live(page, page.get_by_text(f"{lookalike['video_id']} by theo"))).to_be_visible(timeout=60000)
        assert f"item={face_item}" in page.url
        expect(_live(page, page.get_by_text("Deploy", exact=True))).to_have_count(0)
        page.get_by_role("button", name="Claim", exact=True).click()
        expect(_live(page, page.get_by_role("button", name="Submit decision"))).to_be_visible(timeout=60000)
        # The face evidence: the crop from the video beside the protected person's photo, with a similarity bar
        # (one row per face track that matched: the video may have more than one).
        expect(_live(page, page.get_by_alt_text("face in video")).first).to_be_visible()
        expect(_live(page, page.get_by_alt_text("protected person")).first).to_be_visible()
        expect(_live(page, page.get_by_text("protected person: A. Senator")).first).to_be_visible()
        similarity = page.get_by_role("meter", name="similarity").first
        assert 0.0 < float(similarity.get_attribute("aria-valuenow") or 0) < 1.0
        page.screenshot(path=str(ARTIFACTS / "2-face-case.png"), full_page=True)

        # A reload keeps the session (a cookie, never the URL) and the case.
        cookie = next(c for c in context.cookies() if c["name"] == "cameoguard_session")
        assert cookie["sameSite"] == "Strict" and cookie["value"] not in page.url
        # Set by the server, HttpOnly: no script in the page can read the session token.
        assert cookie["httpOnly"] and cookie["value"] not in page.evaluate("document.cookie")
        assert cookie["value"] not in page.content()
        page.reload()
        expect(_live(page, page.get_by_text("You hold this item until"))).to_be_visible(timeout=60000)
        expect(_live(page, page.get_by_label("Username", exact=True))).to_have_count(0)

        # Shortcuts: u unblurs, r chooses reject; keys typed into the note are text, not shortcuts.
        assert "blur(" in (page.locator("video").first.get_attribute("style") or "")
        page.wait_for_function("window.cameoguardShortcutsBound === true", timeout=60000)
        page.locator("body").press("u")
        page.wait_for_function(_LIVE_VIDEO_UNBLURRED, timeout=60000)
        page.locator("body").press("r")
        expect(_live(page, page.get_by_text("Decision: reject"))).to_be_visible(timeout=60000)
        # Choosing the outcome puts the focus in the reason picker.
        page.wait_for_function(_PICKER_FOCUSED, timeout=60000)
        _live(page, page.get_by_label("Note")).click()
        page.keyboard.type("a real lookalike, not the senator")
        page.wait_for_timeout(800)
        expect(_live(page, page.get_by_text("Decision: reject"))).to_be_visible()
        _live(page, page.get_by_label("Reason code")).click()
        page.get_by_role("option", name="likeness.uncertain").click()
        page.get_by_role("button", name="Submit decision").click()
        # The decision is made and the next item opens, claimed.
        expect(_live(page, page.get_by_text(f"Decided: reject (blocked) on {face_item}"))).to_be_visible(timeout=60000)
        expect(_live(page, page.get_by_text(f"{held['video_id']} by theo"))).to_be_visible(timeout=60000)
        assert f"item={next_item}" in page.url
        expect(_live(page, page.get_by_text("You hold this item until"))).to_be_visible()
        # A new case starts over: blurred, no outcome, an empty note.
        assert "blur(" in (page.locator("video").first.get_attribute("style") or "")
        expect(_live(page, page.get_by_text("Decision: choose an outcome"))).to_be_visible()
        expect(_live(page, page.get_by_label("Note"))).to_have_value("")
        page.screenshot(path=str(ARTIFACTS / "3-next-case.png"), full_page=True)

        # The queue reads as text and fits 1280 px.
        page.goto(f"{console}/")
        expect(page.locator("table#queue")).to_be_visible(timeout=60000)
        expect(page.locator("table#queue")).to_contain_text("breaking news: the election is cancelled")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        expect(_live(page, page.get_by_text("Page not found"))).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "4-queue.png"), full_page=True)
        # At 1920 px the queue uses the width (no third of the screen left empty).
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelector('table#queue').getBoundingClientRect().width") > 1300
        page.screenshot(path=str(ARTIFACTS / "4-queue-1920.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        # The link on a case leads to the creator's history.
        page.goto(f"{console}/investigate?user=theo")
        expect(_live(page, page.get_by_text("Videos by theo"))).to_be_visible(timeout=60000)
        expect(_live(page, page.get_by_text(lookalike["video_id"])).first).to_be_visible()
        # Its decision columns are on screen at 1280 px, not scrolled out of the table.
        for column in ("decision", "decided_by", "reasons"):
            expect(_live(page, page.get_by_role("columnheader", name=column, exact=True)).first).to_be_in_viewport()
        page.screenshot(path=str(ARTIFACTS / "5-investigate.png"), full_page=True)
        page.goto(f"{console}/dashboard")
        expect(_live(page, page.get_by_text("Decisions per reviewer per day"))).to_be_visible(timeout=60000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "6-dashboard.png"), full_page=True)
        _lease_countdown_and_keyboard_decision(page, console, next_item)
        browser.close()
    assert people.videos.show(lookalike["video_id"]).video.status.value == "blocked"


_BLURRED_ANCESTOR = """(() => {
  for (let e = document.getElementById('ID'); e; e = e.parentElement) {
    if ((getComputedStyle(e).filter || '').includes('blur')) return true;
  }
  return false;
})()"""
_PICKER_FOCUSED = "document.activeElement && document.activeElement.getAttribute('aria-label') === 'Reason code'"


def _lease_countdown_and_keyboard_decision(page: Any, console: str, item: str) -> None:
    """The held case counts its lease down and warns before it runs out; `r`, a few keys and Enter decide it."""
    from playwright.sync_api import expect

    page.goto(f"{console}/case?item={item}")
    countdown = page.locator("#lease-left")
    expect(countdown).to_contain_text("s left", timeout=60000)
    # The decision is in view without scrolling, at 1280x800 and 1920x1080; the player's time is not blurred.
    for width, height in ((1280, 800), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
        submit = page.get_by_role("button", name="Submit decision").bounding_box()
        assert submit is not None and submit["y"] + submit["height"] <= height, (width, submit)
        page.screenshot(path=str(ARTIFACTS / f"8-case-{width}.png"))
    expect(page.locator("#case-time")).to_be_visible()
    assert page.evaluate(_BLURRED_ANCESTOR.replace("ID", "case-time")) is False
    assert page.evaluate(_BLURRED_ANCESTOR.replace("ID", "case-video")) is True
    # Two minutes before the end (moved there in the page, not by waiting): a warning.
    page.evaluate("document.getElementById('lease-left').dataset.deadline = String(Date.now() + 60000)")
    expect(countdown).to_contain_text("runs out soon", timeout=5000)
    page.locator("body").press("r")
    page.wait_for_function(_PICKER_FOCUSED, timeout=60000)
    page.keyboard.type("election dec")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(_live(page, page.get_by_label("Reason code"))).to_have_attribute("aria-expanded", "false")
    # Enter submits after a few seconds with an Undo; Esc takes it back, and nothing is decided.
    page.keyboard.press("Enter")
    undo = page.locator("#decision-undo")
    expect(undo).to_be_visible(timeout=5000)
    page.keyboard.press("Escape")
    expect(undo).to_have_count(0)
    page.wait_for_timeout((UNDO_S + 1) * 1000)
    expect(_live(page, page.get_by_text("Decided: reject"))).to_have_count(0)
    expect(_live(page, page.get_by_text("Decision: reject"))).to_be_visible()
    _live(page, page.get_by_label("Reason code")).focus()
    page.keyboard.press("Enter")
    expect(_live(page, page.get_by_text(f"Decided: reject (blocked) on {item}"))).to_be_visible(timeout=60000)


HOST = "tracker.invalid"
HOSTILE = f"![x](http://{HOST}/pixel.png) [click](http://{HOST}/a) http://{HOST}/bare www.{HOST} <http://{HOST}/b>"


@pytest.mark.slow
def test_creator_text_makes_the_reviewers_browser_call_no_one(
    console: str, people: CameoGuard, reviews: ReviewService
) -> None:
    """A prompt, a report and URL parameters carrying Markdown images and links: the case, the queue and the
    investigation render them as text, and Chromium requests nothing from the host they name."""
    from urllib.parse import quote, urlsplit

    from playwright.sync_api import expect, sync_playwright

    from generator import Studio

    prompt = f"breaking news: the election is cancelled {HOSTILE}"
    held = Studio(people).generate("theo", prompt, duration_s=1.0, seed=3)
    assert held["decision"] == "review"
    # maya cannot know of a held video: the report comes in through the operator's tools on her behalf.
    people.videos.report(held["video_id"], "maya", f"look {HOSTILE}", viewer=OPERATOR)
    rita = reviews.whoami(reviews.login("rita", "correct horse 1"))
    gate_item = next(i.id for i in reviews.queue(rita) if i.source.value == "gate")
    calls: list[str] = []
    live: list[str] = []
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(60000)
        expect.set_options(timeout=60000)
        page.on("request", lambda r: calls.append(r.url) if (urlsplit(r.url).hostname or "").endswith(HOST) else None)

        def shown_as_text(where: str, marker: str) -> None:
            expect(_live(page, page.get_by_text(marker)).first).to_be_visible(timeout=60000)
            page.wait_for_timeout(1500)
            selector = f"a[href*='{HOST}'], img[src*='{HOST}']"
            found = page.evaluate(f"[...document.querySelectorAll({selector!r})].map(e => e.outerHTML.slice(0, 300))")
            live.extend(f"{where}: {element}" for element in found)

        page.goto(f"{console}/case?item={gate_item}")
        page.get_by_label("Username", exact=True).fill("rita")
        page.get_by_label("Password", exact=True).fill("correct horse 1")
        page.get_by_role("button", name="Log in").click()
        expect(_live(page, page.get_by_text("Reported by"))).to_be_visible(timeout=60000)
        page.get_by_text("Creator's recent videos").click()
        shown_as_text("case", "Reported by")
        page.screenshot(path=str(ARTIFACTS / "7-hostile-case.png"), full_page=True)
        for path, marker in (
            ("/", "breaking news"),
            ("/investigate?user=theo", "Videos by theo"),
            ("/investigate?user=maya", "Reports filed"),
        ):
            page.goto(console + path)
            shown_as_text(path, marker)
        # A handle has at most 32 characters, so the hostile one is short: an image and nothing else.
        for page_path, name, marker, value in (
            ("case", "item", "unknown review item", f"x` {HOSTILE} `x"),
            ("investigate", "user", "may use only", f"x`![x](http://{HOST})"),
        ):
            page.goto(f"{console}/{page_path}?{name}={quote(value, safe='')}")
            shown_as_text(f"{page_path} with a hostile {name}", marker)
        browser.close()
    assert calls == [], calls
    assert live == [], live
