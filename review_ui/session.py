"""Who is using the console: the review service this process holds, login, logout, the sidebar and preferences.

The session survives a reload in a cookie (`browser.py`); every page asks `current_reviewer()` first and shows the
login form when nobody is logged in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from review_ui import browser
from review_ui.markup import plain
from safety import AccessDenied, Reviewer, ReviewerPreferences, ReviewService, Settings, build

PageBody = Callable[[Reviewer], None]
# A break is suggested after this many decisions in one session (wellness).
BREAK_EVERY = 20


@st.cache_resource
def review_service(home: str, database_url: str | None) -> ReviewService:
    """Built once per process and configuration: models and connections are not reloaded per click."""
    services = build(Settings(home=Path(home), database_url=database_url))
    return services.review_service(quality_share=services.settings.quality_share)


def service() -> ReviewService:
    return review_service(os.environ.get("CAMEOGUARD_HOME", "var"), os.environ.get("CAMEOGUARD_DATABASE_URL"))


def current_reviewer() -> Reviewer | None:
    """Who is logged in: this tab's session, or the session cookie the browser sent (a reload, a link)."""
    token = st.session_state.get("token")
    if not token and not st.session_state.get("logged_out"):
        token = browser.session_token()
    if not token:
        return None
    try:
        reviewer = service().whoami(token)
    except AccessDenied:
        st.session_state.pop("token", None)
        st.session_state["logged_out"] = True
        st.session_state["login_message"] = "Your session expired. Log in again."
        browser.forget_session()
        return None
    st.session_state["token"] = token
    return reviewer


def _client_address() -> str:
    return str(st.context.ip_address or "unknown")


def logout() -> None:
    token = st.session_state.pop("token", None)
    st.session_state["logged_out"] = True
    if token:
        service().logout(token)


def login_page() -> None:
    st.title("cameoguard review")
    if st.session_state.pop("forget_cookie", False):
        browser.forget_session()
    if message := st.session_state.pop("login_message", None):
        st.warning(plain(message))
    with st.form("login"):
        name = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        try:
            st.session_state["token"] = service().login(name, password, client=_client_address())
        except AccessDenied as exc:
            st.error(plain(exc))
            return
        st.session_state["logged_out"] = False
        st.session_state["keep_cookie"] = True
        st.rerun()


def sidebar(reviewer: Reviewer) -> None:
    """Who is logged in, the shortcuts, the wellness settings and logout."""
    if st.session_state.pop("keep_cookie", False):
        browser.keep_session(st.session_state["token"], int(service().session.total_seconds()))
    st.sidebar.caption(plain(f"{reviewer.name} ({reviewer.role})"))
    _exposure()
    st.sidebar.markdown("**Keys:** " + browser.shortcut_legend())
    if st.sidebar.button("Log out", key="logout"):
        logout()
        st.session_state["forget_cookie"] = True
        st.rerun()


def _exposure() -> None:
    """What this reviewer has looked at in this session, and a prompt to step away every `BREAK_EVERY` decisions."""
    decided = int(st.session_state.get("decided_count", 0))
    unblurred = sum(1 for key, on in st.session_state.items() if str(key).startswith("unblur_") and on)
    st.sidebar.caption(f"This session: {decided} decided, {unblurred} unblurred")
    if decided and decided % BREAK_EVERY == 0:
        st.sidebar.warning(
            f"You have decided {decided} cases this session. Take a few minutes away from the screen before the next."
        )


def count_decision() -> None:
    """One more decision in this session (for the exposure line and the break prompt)."""
    st.session_state["decided_count"] = int(st.session_state.get("decided_count", 0)) + 1


def preferences(reviewer: Reviewer) -> ReviewerPreferences:
    """The reviewer's wellness settings, read once per browser session."""
    if "preferences" not in st.session_state:
        st.session_state["preferences"] = service().preferences(reviewer)
    prefs: ReviewerPreferences = st.session_state["preferences"]
    return prefs
