"""The console's pages and their URLs. Each page takes the logged-in reviewer and talks to `ReviewService` only.

Every page has its own URL (`/case?item=rev_…`, `/investigate?user=theo`), so a case can be linked, bookmarked and
reloaded; what a page shows is read from its URL, and the session survives a reload in a cookie (`browser.py`).
The pages live one module per page or group: `queue_page`, `case_page` (with `decision_form`), `oversight_pages`
(appeals, investigation, dashboard) and `account_pages` (settings, reviewers).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from review_ui.account_pages import reviewers_page, settings_page
from review_ui.case_page import case_page
from review_ui.oversight_pages import appeals_page, dashboard_page, investigate_page
from review_ui.queue_page import queue_page
from review_ui.session import PageBody, current_reviewer, login_page
from safety import Reviewer


def pages_for(reviewer: Reviewer | None) -> dict[str, st.Page]:
    """The pages this reviewer may open, by URL path; everything (hidden) before login, so a link survives it."""
    bodies: dict[str, tuple[str, PageBody]] = {
        "queue": ("Queue", queue_page),
        "case": ("Case", case_page),
        "appeals": ("Appeals", appeals_page),
        "investigate": ("Investigate", investigate_page),
        "dashboard": ("Dashboard", dashboard_page),
        "settings": ("Settings", settings_page),
        "reviewers": ("Reviewers", reviewers_page),
    }
    if reviewer is not None:
        if not reviewer.senior:
            bodies.pop("appeals")
        if reviewer.role != "admin":
            bodies.pop("reviewers")
    return {
        path: st.Page(_runner(body), title=title, url_path=path, default=path == "queue")
        for path, (title, body) in bodies.items()
    }


def _runner(body: PageBody) -> Callable[[], None]:
    def run() -> None:
        reviewer = current_reviewer()
        if reviewer is None:
            login_page()
            return
        body(reviewer)

    run.__name__ = body.__name__
    return run


def open_case(item_id: str) -> None:
    """Go to the case page for an item (its URL names it)."""
    st.switch_page(pages_for(None)["case"], query_params={"item": item_id})
