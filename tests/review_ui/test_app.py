"""Every page of the console with Streamlit's AppTest: login first, then queue, case, decisions, dashboard."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from safety import CameoGuard, ReviewService

APP = str(Path(__file__).resolve().parents[2] / "review_ui" / "app.py")


@pytest.fixture
def app_env(people: CameoGuard, reviews: ReviewService, monkeypatch: pytest.MonkeyPatch) -> CameoGuard:
    monkeypatch.setenv("CAMEOGUARD_HOME", str(people.settings.home))
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", people.settings.resolved_database_url)
    monkeypatch.setenv("CAMEOGUARD_QUALITY_SHARE", "0")
    monkeypatch.setenv("CAMEOGUARD_ADULT_POLICY", people.settings.adult_policy)
    monkeypatch.setenv("CAMEOGUARD_TEEN_POLICY", people.settings.teen_policy)
    return people


def logged_in(name: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_a_stranger_sees_only_the_login_form(app_env: CameoGuard) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.dataframe and not at.sidebar.radio
    at.text_input[0].input("rita")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert "wrong name or password" in at.error[0].value
    assert not at.sidebar.radio


def test_reviewer_claims_a_reported_video_and_decides(app_env: CameoGuard, held: dict[str, Any]) -> None:
    app_env.videos.report(held["video_id"], "maya", "misleading")
    at = logged_in("rita", "correct horse 1")
    assert at.sidebar.radio[0].options == ["Queue", "Case", "Dashboard"]
    queue = at.dataframe[0].value
    assert set(queue["video"]) == {held["video_id"]} and "report" in set(queue["source"])
    at.button(key="claim_selected").click().run()
    assert at.session_state["page"] == "Case"
    assert any("Prompt" in m.value for m in at.markdown)
    assert at.checkbox(key="unblur").value is False
    decision = next(r for r in at.radio if r.label == "Decision")
    decision.set_value("reject").run()
    at.selectbox[0].set_value("prompt.election_deception")
    at.text_area[0].input("misleading election claim")
    at.button(key="FormSubmitter:decision-Submit decision").click().run()
    assert "Decided: reject" in at.success[0].value
    assert app_env.videos.show(held["video_id"]).video.status.value == "blocked"


def test_dashboard_and_admin_pages(app_env: CameoGuard, held: dict[str, Any]) -> None:
    at = logged_in("ada", "correct horse 4")
    assert at.sidebar.radio[0].options == ["Queue", "Case", "Appeals", "Dashboard", "Reviewers"]
    at.sidebar.radio[0].set_value("Dashboard").run()
    labels = [m.label for m in at.metric]
    assert labels == ["Queue depth", "Oldest item (h)", "SLA breaches", "Quality agreement"]
    assert at.metric[0].value == "1"
    at.sidebar.radio[0].set_value("Reviewers").run()
    assert set(at.dataframe[0].value["name"]) == {"rita", "sam", "sena", "ada"}
    at.sidebar.radio[0].set_value("Appeals").run()
    assert "No appeals" in at.info[0].value


def test_logout_returns_to_the_login_form(app_env: CameoGuard) -> None:
    at = logged_in("sam", "correct horse 2")
    assert at.sidebar.radio
    at.sidebar.button[0].click().run()
    assert [b.label for b in at.button] == ["Log in"]


def test_creator_text_is_shown_as_text_and_pictures_never_get_a_public_url(app_env: CameoGuard) -> None:
    from generator import Studio

    hostile = "breaking news: the election is cancelled ![x](http://tracker.invalid/pixel.png) **bold**"
    held = Studio(app_env).generate("theo", hostile, duration_s=1.0, seed=78)
    assert held["decision"] == "review"
    at = logged_in("rita", "correct horse 1")
    at.button(key="claim_selected").click().run()
    prompt = next(m.value for m in at.markdown if m.value.startswith("**Prompt:**"))
    assert "![x](http" not in prompt and "\\!\\[x\\]\\(http\\:" in prompt and "\\*\\*bold\\*\\*" in prompt
    assert not at.get("imgs"), "case pictures are inline data, not files served from Streamlit's /media/"
    assert all("/media/" not in h.proto.body for h in at.get("html"))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_a_speech_finding_can_be_played_in_the_case(app_env: CameoGuard, clip: Path, tmp_path: Path) -> None:
    from safety import Submission
    from tests.safety.test_speech import _speaking_clip

    speaking = _speaking_clip(clip, "The election is rigged. Do not vote tomorrow.", tmp_path / "speaking.mp4")
    held = app_env.videos.prepublish(Submission("maya", "a calm lake at dawn", speaking))
    assert held.status.value == "held"
    at = logged_in("rita", "correct horse 1")
    at.button(key="claim_selected").click().run()
    players = [h.proto.body for h in at.get("html") if "<audio" in h.proto.body]
    assert players and "data:audio/wav;base64," in players[0], "played inline, never from a public URL"
    captions = " ".join(players)
    assert "prompt.election_deception" in captions and "rigged" in captions.casefold()
