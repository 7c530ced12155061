"""The pages that look across cases: open appeals (seniors), the investigation of one user
(`/investigate?user=theo`), and the dashboard with the decisions export.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from review_ui.markup import link, plain, table
from review_ui.session import service
from safety import Reviewer, SafetyError, to_json


def appeals_page(reviewer: Reviewer) -> None:
    st.header("Appeals")
    cases = service().appeal_cases(reviewer)
    if not cases:
        st.info("No appeals waiting.")
        return
    for case in cases:
        with st.container(border=True):
            holder = f"held by {case.holder}" if case.holder else "not claimed"
            st.html(
                f"<div><b>{html.escape(case.item.video_id)}</b>: appeal by {html.escape(case.appellant)} "
                f"({html.escape(holder)}, due {case.item.due_at:%Y-%m-%d %H:%M}) "
                f"{link('case', 'Open', item=case.item.id)}</div>"
            )
            st.markdown(f"**Appeal:** {plain(case.text)}")
            reasons = "; ".join(f"{code}: {message}" for code, message in case.original_reasons) or "-"
            st.markdown(f"**Original decision:** {plain(case.original_action)} by {plain(case.decided_by)}")
            st.markdown(f"**Its reasons:** {plain(reasons)}")


def investigate_page(reviewer: Reviewer) -> None:
    st.header("Investigate")
    # The URL names the user (a link from a case); typing another name updates the URL.
    linked = st.query_params.get("user", "")
    if st.session_state.get("investigate_link") != linked:
        st.session_state["investigate_link"] = linked
        st.session_state["investigate_user"] = linked
    handle = st.text_input("User", key="investigate_user").strip()
    if handle != linked:
        st.session_state["investigate_link"] = handle
        st.query_params["user"] = handle
    if not handle:
        st.info("Enter a user to see their videos, decisions, reports and the uses of their cameo.")
        return
    try:
        history = service().user_history(reviewer, handle)
    except SafetyError as exc:
        st.error(plain(exc))
        return
    st.subheader(f"Videos by {plain(history.handle)}")
    # The case ids are the links below the table, not a column of it (the decision columns keep their room).
    _rows(st.container(), [{k: v for k, v in row.items() if k != "case"} for row in history.videos])
    _case_links(history.videos)
    left, right = st.columns(2)
    left.subheader("Reports filed")
    _rows(left, to_json(history.reports_filed))
    right.subheader("Reports received")
    _rows(right, to_json(history.reports_received))
    st.subheader(f"Videos {plain(history.handle)}'s likeness appears in")
    _rows(st.container(), history.cameo_uses)


def _rows(where: DeltaGenerator, rows: list[dict[str, object]]) -> None:
    if rows:
        table([{k: _readable(v) for k, v in row.items()} for row in rows], where)
    else:
        where.caption("none")


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _readable(value: object) -> object:
    """Times as a reviewer reads them (`2026-12-04 10:40 UTC`), not ISO strings; everything else as it is."""
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return f"{datetime.fromisoformat(value).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        except ValueError:
            return value
    return value


def _case_links(videos: list[dict[str, object]]) -> None:
    """Each video that has a case, linked to it (the table above cannot hold links)."""
    links = [link("case", f"{v['video_id']} ({v['status']})", item=str(v["case"])) for v in videos if v.get("case")]
    if links:
        st.html("<div style='font-size:0.9em'>Cases: " + " · ".join(links) + "</div>")


def _still_chart(rows: pd.DataFrame) -> None:
    """Decisions per reviewer per day as stacked bars that do not zoom: the mouse wheel scrolls the page over it."""
    chart = alt.Chart(rows).mark_bar().encode(x="day:N", y="decisions:Q", color="reviewer:N")
    st.altair_chart(chart, width="stretch")


def dashboard_page(reviewer: Reviewer) -> None:
    st.header("Dashboard")
    reviews = service()
    stats = to_json(reviews.dashboard(reviewer))
    cols = st.columns(4)
    cols[0].metric("Queue depth", stats["queue_depth"])
    cols[1].metric("Oldest item (h)", stats["oldest_age_hours"])
    cols[2].metric("SLA breaches", stats["sla_breaches"])
    agreement = stats["quality_agreement"]
    cols[3].metric("Quality agreement", "-" if agreement is None else f"{agreement:.0%}")
    cols[3].caption(f"from {stats['quality_pairs']} blind re-review pairs")
    per_day = stats["decisions_per_reviewer_per_day"]
    if per_day:
        st.caption("Decisions per reviewer per day")
        by_day = pd.DataFrame(per_day).T.fillna(0).sort_index()
        _still_chart(by_day.rename_axis("day").reset_index().melt("day", var_name="reviewer", value_name="decisions"))
        totals = by_day.sum().astype(int).sort_values(ascending=False)
        table(pd.DataFrame({"reviewer": totals.index, "decisions": totals.values}))
    if stats["quality_pair_rows"]:
        st.caption("Blind re-reviews beside their originals")
        table(stats["quality_pair_rows"])
    if stats["reason_mix"]:
        st.caption("Reason mix")
        mix = pd.DataFrame({"reason": list(stats["reason_mix"]), "items": list(stats["reason_mix"].values())})
        st.altair_chart(alt.Chart(mix).mark_bar().encode(x=alt.X("reason:N", sort="-y"), y="items:Q"), width="stretch")
    if reviewer.senior:
        st.download_button(
            "Export decisions (CSV)",
            data=reviews.decisions_csv(reviewer),
            file_name=f"decisions-{datetime.now(UTC):%Y%m%d}.csv",
            mime="text/csv",
            key="export_csv",
        )
