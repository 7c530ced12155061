"""Every page of the console with Streamlit's AppTest: login first, then queue, case, decisions, dashboard."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from review_ui.markup import reason_label
from safety import CameoGuard, ReviewService
from safety.access import OPERATOR

APP = str(Path(__file__).resolve().parents[2] / "review_ui" / "app.py")


@pytest.fixture
def app_env(people: CameoGuard, reviews: ReviewService, monkeypatch: pytest.MonkeyPatch) -> CameoGuard:
    monkeypatch.setenv("CAMEOGUARD_HOME", str(people.settings.home))
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", people.settings.resolved_database_url)
    monkeypatch.setenv("CAMEOGUARD_QUALITY_SHARE", "0")
    monkeypatch.setenv("CAMEOGUARD_REVIEWER_PASSWORD_KIB", "1024")
    monkeypatch.setenv("CAMEOGUARD_ADULT_POLICY", people.settings.adult_policy)
    monkeypatch.setenv("CAMEOGUARD_TEEN_POLICY", people.settings.teen_policy)
    return people


def logged_in(name: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def open_page(at: AppTest, url_path: str, **query: str) -> AppTest:
    """Open a page by its URL path, as following a link does. AppTest switches only to file pages; the console's
    pages are functions, which Streamlit identifies by the hash of their URL path."""
    at._page_hash = calc_hash(url_path)
    at.query_params.clear()
    at.query_params.update(query)
    return at.run()


def html_of(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def test_a_stranger_sees_only_the_login_form(app_env: CameoGuard, held: dict[str, Any]) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.get("table") and held["video_id"] not in html_of(at)
    # A link to a case shows the same form, and nothing of the case.
    open_page(at, "case", item="rev_anything")
    assert [b.label for b in at.button] == ["Log in"] and not at.header[1:]
    at.text_input[0].input("rita")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert "wrong name or password" in at.error[0].value
    assert not any(b.key == "logout" for b in at.button)


def test_reviewer_claims_a_reported_video_and_decides(app_env: CameoGuard, held: dict[str, Any]) -> None:
    app_env.videos.report(held["video_id"], "maya", "misleading", viewer=OPERATOR)
    at = logged_in("rita", "correct horse 1")
    queue = html_of(at)
    assert "breaking news: the election is cancelled" in queue and "report" in queue and "theo" in queue
    assert "data:image/jpeg;base64," in queue, "a (blurred) thumbnail, inline"
    at.button(key="next_item").click().run()
    item = at.query_params["item"]
    assert at.header[0].value == "Case" and any("Prompt" in m.value for m in at.markdown)
    unblur = next(c for c in at.checkbox if c.key and c.key.startswith("unblur_"))
    assert unblur.value is False
    assert "Decision:** choose an outcome" in " ".join(m.value for m in at.markdown), "nothing preselected"
    at.button(key="outcome_reject").click().run()
    first = at.selectbox[0].options[0]
    assert first in {reason_label("prompt.election_deception"), reason_label("report.user")}, "the item's own first"
    assert first.endswith("(prompt.election_deception)") or first.endswith("(report.user)"), "the code beside"
    at.selectbox[0].set_value("prompt.election_deception")
    at.text_area[0].input("misleading election claim")
    at.button(key=f"FormSubmitter:decision_{item}-Submit decision").click().run()
    assert any("Decided: reject" in s.value for s in at.success)
    assert app_env.videos.show(held["video_id"]).video.status.value == "blocked"


def test_dashboard_export_settings_and_admin_pages(app_env: CameoGuard, held: dict[str, Any]) -> None:
    at = logged_in("ada", "correct horse 4")
    open_page(at, "dashboard")
    labels = [m.label for m in at.metric]
    assert labels == ["Queue depth", "Oldest item (h)", "SLA breaches", "Quality agreement"]
    assert at.metric[0].value == "1"
    assert at.get("download_button"), "seniors and admins can export decisions as CSV"
    open_page(at, "reviewers")
    assert {"rita", "sam", "sena", "ada"} <= set(at.table[0].value["name"])
    open_page(at, "appeals")
    assert "No appeals" in at.info[0].value
    open_page(at, "settings")
    at.checkbox[0].check()
    at.slider[0].set_value(40)
    at.button[0].click().run()
    prefs = app_env.review_service().preferences(
        app_env.review_service().whoami(app_env.review_service().login("ada", "correct horse 4"))
    )
    assert (prefs.grayscale, prefs.blur_px) == (True, 40)


def test_a_plain_reviewer_has_no_appeals_export_or_admin_pages(app_env: CameoGuard, held: dict[str, Any]) -> None:
    at = logged_in("rita", "correct horse 1")
    open_page(at, "dashboard")
    assert not at.get("download_button")
    open_page(at, "reviewers")
    assert at.header[0].value == "Queue", "an unknown page falls back to the queue"


def test_investigate_shows_a_users_history(app_env: CameoGuard, held: dict[str, Any]) -> None:
    app_env.videos.report(held["video_id"], "maya", "misleading", viewer=OPERATOR)
    at = logged_in("sam", "correct horse 2")
    open_page(at, "investigate", user="theo")
    videos, received = (t.value for t in at.table)  # theo filed no reports and appears in no one's video
    assert held["video_id"] in set(videos["video_id"])
    assert set(received["reporter"]) == {"maya"}
    open_page(at, "investigate", user="maya")
    [filed] = (t.value for t in at.table)
    assert set(filed["reason"]) == {"misleading"}


def test_logout_returns_to_the_login_form(app_env: CameoGuard) -> None:
    at = logged_in("sam", "correct horse 2")
    assert any(b.key == "logout" for b in at.button)
    at.button(key="logout").click().run()
    assert [b.label for b in at.button] == ["Log in"]


def test_creator_text_is_shown_as_text_and_pictures_never_get_a_public_url(app_env: CameoGuard) -> None:
    from generator import Studio

    hostile = "breaking news: the election is cancelled ![x](http://tracker.invalid/pixel.png) **bold**"
    held = Studio(app_env).generate("theo", hostile, duration_s=1.0, seed=78)
    assert held["decision"] == "review"
    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    prompt = next(m.value for m in at.markdown if m.value.startswith("**Prompt:**"))
    assert "![x](http" not in prompt and "\\!\\[x\\]\\(http\\:" in prompt and "\\*\\*bold\\*\\*" in prompt
    assert not at.get("imgs"), "case pictures are inline data, not files served from Streamlit's /media/"
    assert all("/media/" not in h.proto.body for h in at.get("html"))


@pytest.mark.real_models
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_a_speech_finding_can_be_played_in_the_case(app_env: CameoGuard, clip: Path, tmp_path: Path) -> None:
    from safety import Submission
    from tests.safety.checks.test_speech import _speaking_clip

    speaking = _speaking_clip(clip, "The election is rigged. Do not vote tomorrow.", tmp_path / "speaking.mp4")
    held = app_env.videos.prepublish(Submission("maya", "a calm lake at dawn", speaking))
    assert held.status.value == "held"
    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    players = [h.proto.body for h in at.get("html") if "<audio" in h.proto.body]
    assert players and "data:audio/wav;base64," in players[0], "played inline, never from a public URL"
    captions = " ".join(players)
    assert "prompt.election_deception" in captions and "rigged" in captions.casefold()
    assert "prompt.election_deception [en]" in captions, "the reviewer sees the language it was said in"
