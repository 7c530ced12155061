"""The console's pages. Each takes the logged-in reviewer and talks to `ReviewService` only.

Every page has its own URL (`/case?item=rev_…`, `/investigate?user=theo`), so a case can be linked, bookmarked and
reloaded; what a page shows is read from its URL, and the session survives a reload in a cookie (`browser.py`).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from review_ui import browser, pictures
from safety import (
    AccessDenied,
    CaseFile,
    QueueEntry,
    Reviewer,
    ReviewerPreferences,
    ReviewService,
    SafetyError,
    Settings,
    build,
    to_json,
)

PageBody = Callable[[Reviewer], None]


@st.cache_resource
def review_service(home: str, database_url: str | None) -> ReviewService:
    """Built once per process and configuration: models and connections are not reloaded per click."""
    services = build(Settings(home=Path(home), database_url=database_url))
    return services.review_service(quality_share=services.settings.quality_share)


def service() -> ReviewService:
    return review_service(os.environ.get("CAMEOGUARD_HOME", "var"), os.environ.get("CAMEOGUARD_DATABASE_URL"))


# sessions


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
        st.warning(message)
    with st.form("login"):
        name = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        try:
            st.session_state["token"] = service().login(name, password, client=_client_address())
        except AccessDenied as exc:
            st.error(str(exc))
            return
        st.session_state["logged_out"] = False
        st.session_state["keep_cookie"] = True
        st.rerun()


def sidebar(reviewer: Reviewer) -> None:
    """Who is logged in, the shortcuts, the wellness settings and logout."""
    if st.session_state.pop("keep_cookie", False):
        browser.keep_session(st.session_state["token"], int(service().session.total_seconds()))
    st.sidebar.caption(f"{reviewer.name} ({reviewer.role})")
    st.sidebar.markdown("**Keys:** " + browser.shortcut_legend())
    if st.sidebar.button("Log out", key="logout"):
        logout()
        st.session_state["forget_cookie"] = True
        st.rerun()


def plain(text: object) -> str:
    """User text (prompts, reports, appeals, messages) for Markdown, shown as written: every ASCII punctuation mark
    is escaped, so `![x](http://host/a.png)` is text, not an image the reviewer's browser would fetch."""
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in str(text)).replace("\n", "  \n")


_MARKDOWN_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


# pages and their URLs


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


def _link(path: str, label: str, **params: str) -> str:
    query = html.escape(urlencode(params), quote=True)
    return f'<a href="./{path}?{query}" target="_self">{html.escape(label)}</a>'


def _preferences(reviewer: Reviewer) -> ReviewerPreferences:
    if "preferences" not in st.session_state:
        st.session_state["preferences"] = service().preferences(reviewer)
    prefs: ReviewerPreferences = st.session_state["preferences"]
    return prefs


# the queue


@st.cache_data(max_entries=2000, show_spinner=False)
def _thumbnail_uri(path: str, mtime: float, blur_px: int, grayscale: bool) -> str:
    """A blurred thumbnail as a data URI, cached per file version and wellness setting."""
    image = service().thumbnail(Path(path))
    if image is None:
        return ""
    picture = pictures.softened(Image.fromarray(image), blur_px=max(blur_px, 8), grayscale=grayscale)
    return pictures.jpeg_data_uri(picture)


def _thumbnail(entry: QueueEntry, prefs: ReviewerPreferences) -> str:
    path = entry.media_path
    if path is None or not path.is_file():
        return "<span>no file</span>"
    uri = _thumbnail_uri(str(path), path.stat().st_mtime, prefs.blur_px, prefs.grayscale)
    return f'<img alt="thumbnail (blurred)" src="{uri}" style="width:96px">' if uri else ""


_SLA_COLOURS = {"breached": "#c92a2a", "due soon": "#e67700", "on time": "#2b8a3e"}


def queue_table(entries: list[QueueEntry], prefs: ReviewerPreferences) -> str:
    """The queue as an HTML table (text a screen reader and a search can read), 1280 px wide at most."""
    rows = []
    for entry in entries:
        item = entry.item
        state = item.state.value if item.state.value != "claimed" else f"claimed by {item.claimed_by}"
        rows.append(
            "<tr>"
            f"<td>{_thumbnail(entry, prefs)}</td>"
            f"<td style='max-width:320px;overflow-wrap:anywhere'>{html.escape(entry.prompt)}</td>"
            f"<td>{html.escape(entry.creator)}</td>"
            f"<td>{html.escape(item.source.value)}</td>"
            f"<td style='overflow-wrap:anywhere'>{html.escape(', '.join(dict.fromkeys(item.reason_codes)))}</td>"
            f"<td>{item.severity}</td>"
            f"<td>{entry.age_hours:.1f} h</td>"
            f"<td style='color:{_SLA_COLOURS[entry.sla]}'>{html.escape(entry.sla)}<br>"
            f"<small>{item.due_at:%Y-%m-%d %H:%M}</small></td>"
            f"<td>{html.escape(state)}</td>"
            f"<td>{_link('case', 'Open', item=item.id)}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th style='text-align:left'>{h}</th>"
        for h in ("", "prompt", "creator", "source", "reasons", "sev.", "age", "SLA", "state", "")
    )
    return (
        "<table id='queue' style='width:100%;max-width:1000px;table-layout:auto;border-collapse:collapse;"
        f"font-size:0.9em'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def queue_page(reviewer: Reviewer) -> None:
    st.header("Queue")
    reviews = service()
    prefs = _preferences(reviewer)
    everything = reviews.queue_entries(reviewer)
    codes = sorted({c for e in everything for c in e.item.reason_codes})
    columns = st.columns([2, 1, 1, 1, 1])
    reason = columns[0].selectbox("Reason", ["(all)", *codes], key="filter_reason")
    policy = columns[1].selectbox("Policy", ["(all)", "default", "teen"], key="filter_policy")
    source = columns[2].selectbox("Source", ["(all)", "gate", "report", "appeal", "quality"], key="filter_source")
    sla = columns[3].selectbox("SLA", ["(all)", "breached", "due soon", "on time"], key="filter_sla")
    if columns[4].button("Claim next `n`", key="next_item"):
        _claim_next(reviewer)

    def chosen(value: str) -> str | None:
        return None if value == "(all)" else value

    entries = reviews.queue_entries(
        reviewer, reason=chosen(reason), policy=chosen(policy), source=chosen(source), sla=chosen(sla)
    )
    browser.bind_shortcuts({"n": browser.SHORTCUTS["n"]})
    if not entries:
        st.info("The queue is empty." if not everything else "Nothing matches these filters.")
        return
    st.caption(f"{len(entries)} of {len(everything)} items")
    st.html(queue_table(entries, prefs))
    if reviewer.senior:
        _bulk_form(reviewer, entries)


def _claim_next(reviewer: Reviewer) -> None:
    claimed = service().claim_next(reviewer)
    if claimed is None:
        st.info("Nothing to claim.")
        return
    open_case(claimed.id)


def _bulk_form(reviewer: Reviewer, entries: list[QueueEntry]) -> None:
    """Seniors select items and decide them with one outcome and one reason."""
    reviews = service()
    with st.expander("Decide several items (seniors)"):
        labels = {e.item.id: f"{e.item.id}: {e.prompt[:60]}" for e in entries if e.item.source.value != "appeal"}
        chosen = st.multiselect("Items", list(labels), format_func=lambda i: labels[i], key="bulk_items")
        outcome = st.radio("Outcome", ["approve", "reject"], index=None, horizontal=True, key="bulk_outcome")
        items = [e.item for e in entries if e.item.id in chosen]
        fitting = [set(reviews.reason_codes(i, outcome)) for i in items] if outcome else []
        codes = sorted(set.intersection(*fitting)) if fitting else []
        code = st.selectbox("Reason code (fits every selected item)", codes, index=None, key="bulk_code")
        note = st.text_input("Note", key="bulk_note")
        if st.button("Decide selected", key="bulk_decide", disabled=not (chosen and outcome and code)):
            assert outcome is not None and code is not None
            results = reviews.decide_many(reviewer, chosen, outcome, code, note)
            done = [i for i, r in results if not isinstance(r, str)]
            st.success(f"Decided {len(done)} of {len(results)}.")
            for item_id, result in results:
                if isinstance(result, str):
                    st.warning(f"{item_id}: {result}")


# the case


def case_page(reviewer: Reviewer) -> None:
    reviews = service()
    item_id = st.query_params.get("item")
    st.header("Case")
    if message := st.session_state.pop("flash", None):
        st.success(message)
    if not item_id:
        st.info("Open an item from the queue, or claim the next one.")
        if st.button("Claim next `n`", key="next_item"):
            _claim_next(reviewer)
        browser.bind_shortcuts({"n": browser.SHORTCUTS["n"]})
        return
    try:
        case = reviews.case(reviewer, item_id)
    except SafetyError as exc:
        st.error(str(exc))
        return
    prefs = _preferences(reviewer)
    item, video = case.item, to_json(case)
    blind = item.blind_of is not None
    st.subheader(f"{video['video_id']} by {video['creator']}" + (" (quality re-review: blind)" if blind else ""))
    holder = item.claimed_by if item.state.value == "claimed" else None
    lease = st.empty()
    left, right = st.columns([3, 2])
    with left:
        toggles = st.columns(2)
        # Keyed by item: every case starts blurred, and grey when the reviewer prefers it.
        unblur = toggles[0].checkbox("Unblur `u` (the video starts blurred and muted)", key=f"unblur_{item.id}")
        grayscale = toggles[1].checkbox("Grayscale `g`", key=f"grayscale_{item.id}", value=prefs.grayscale)
        blur_px = 0 if unblur else prefs.blur_px
        if case.media_path is not None and case.media_path.is_file():
            st.html(pictures.video_player(case.media_path, blur_px=blur_px, grayscale=grayscale))
        _frame_strip(case, blur_px, grayscale)
        if case.spoken and not blind:
            st.caption("Speech at findings")
            for spoken in case.spoken:
                clip = reviews.audio_clip(case, spoken["t_start"], spoken["t_end"])
                label = f"{spoken['t_start']:.1f}-{spoken['t_end']:.1f} s, {spoken['code']}: {spoken['said']}"
                if clip:
                    st.html(pictures.audio_figure(clip, label))
                else:
                    st.markdown(plain(label))
    with right:
        st.markdown(f"**Prompt:** {plain(video['prompt'])}")
        st.markdown(f"**Status:** {plain(video['status'])}  **Policy:** {plain(video['policy'])}")
        if not blind:
            for reason in case.reasons:
                st.markdown(f"- {plain(reason['code'])} ({plain(reason['action'])}): {plain(reason['message'])}")
                if reason.get("policy_text"):
                    st.caption(reason["policy_text"])
            _scores(video)
        for report in case.reports:
            st.markdown(f"Reported by **{plain(report.reporter)}**: {plain(report.reason)}")
        if case.appeal:
            st.markdown(f"**Appeal by {plain(case.appeal.appellant)}:** {plain(case.appeal.text)}")
        parent, remixes = video["remix_of"] or "-", ", ".join(video["remixes"]) or "-"
        st.markdown(f"**Lineage:** parent {plain(parent)}; remixes {plain(remixes)}")
        st.html(_link("investigate", f"Investigate {video['creator']}", user=str(video["creator"])))
    if case.faces:
        _face_evidence(case, blur_px, grayscale)
    with st.expander("Creator's recent videos"):
        st.table(pd.DataFrame(case.history))
    _decision_form(reviewer, case, holder, lease)


def _frame_strip(case: CaseFile, blur_px: int, grayscale: bool) -> None:
    strip = service().frame_strip(case)
    if not strip:
        return
    st.caption("Frames at findings (faces outlined)")
    columns = st.columns(len(strip))
    for column, frame in zip(columns, strip, strict=True):
        # Outlined after blurring, so the box stays sharp on a blurred frame.
        picture = pictures.outlined(
            pictures.softened(Image.fromarray(frame.image), blur_px=blur_px, grayscale=grayscale), frame.boxes
        )
        labels = ", ".join(label for _, label in frame.boxes)
        column.html(pictures.figure(picture, f"{frame.t:.1f} s {labels}", alt=f"frame at {frame.t:.1f} s"))


def _face_evidence(case: CaseFile, blur_px: int, grayscale: bool) -> None:
    st.caption("Faces in the video, beside the person each resembles")
    for face in service().face_evidence(case):
        cols = st.columns([1, 1, 3])
        if face.crop is not None:
            crop = pictures.softened(Image.fromarray(face.crop), blur_px=blur_px, grayscale=grayscale)
            cols[0].html(pictures.figure(crop, f"in the video at {face.t:.1f} s", width=140, alt="face in video"))
        if face.reference is not None and face.reference.is_file():
            with Image.open(face.reference) as reference:
                kind = "protected person" if face.subject_kind == "protected" else "cameo reference"
                shown = pictures.softened(reference, blur_px=0, grayscale=grayscale)
                cols[1].html(pictures.figure(shown, f"{kind}: {face.subject}", width=140, alt=kind))
        else:
            cols[1].caption("no reference on file")
        subject = face.subject or "nobody enrolled"
        cols[2].html(
            f"<div>track {face.track}: nearest <b>{html.escape(subject)}</b> "
            f"({html.escape(face.subject_kind or '-')}), verdict <b>{html.escape(face.verdict)}</b></div>"
            + pictures.bar(face.similarity, "similarity")
        )


def _scores(video: dict[str, object]) -> None:
    decisions = video.get("decisions") or []
    assert isinstance(decisions, list)
    scores = decisions[-1].get("scores", {}) if decisions else {}
    if scores:
        st.caption("Scores by category")
        st.html("".join(pictures.bar(float(v), str(k)) for k, v in sorted(scores.items())))


def _decision_form(reviewer: Reviewer, case: CaseFile, holder: str | None, slot: DeltaGenerator) -> None:
    """The lease's state, the outcome buttons, the reason and note, and the lease actions."""
    reviews = service()
    item = case.item
    if holder != reviewer.name:
        slot.warning(f"{'Held by ' + holder if holder else 'Nobody holds this item'}. Claim it to decide it.")
        if holder is None and st.button("Claim", key="claim_case"):
            if reviews.claim(reviewer, item.id):
                st.rerun()
            st.error("Someone else holds this item.")
        return
    until = item.lease_until.astimezone(UTC).strftime("%H:%M:%S UTC") if item.lease_until else "-"
    slot.info(f"You hold this item until {until}.")
    appeal = item.source.value == "appeal"
    outcomes = ["uphold", "overturn"] if appeal else ["approve", "reject"]
    key = f"outcome:{item.id}"
    buttons = st.columns(len(outcomes) + 3)
    for column, choice in zip(buttons, outcomes, strict=False):
        shortcut = {"approve": " `a`", "reject": " `r`"}.get(choice, "")
        if column.button(choice.capitalize() + shortcut, key=f"outcome_{choice}"):
            st.session_state[key] = choice
    outcome = st.session_state.get(key)
    # No outcome is preselected, and the codes offered are those that fit the chosen outcome and this item.
    st.markdown(f"**Decision:** {outcome or 'choose an outcome'}")
    with st.form(f"decision_{item.id}"):
        code = st.selectbox("Reason code", case.codes_by_outcome.get(outcome or "", []), index=None)
        note = st.text_area("Note", key=f"note_{item.id}")
        submitted = st.form_submit_button("Submit decision", disabled=outcome is None)
    if submitted and (outcome is None or code is None):
        st.error("Choose a decision and a reason code.")
    elif submitted and outcome is not None and code is not None:
        try:
            result = reviews.decide(reviewer, item.id, outcome, code, note)
        except SafetyError as exc:
            st.error(str(exc))
        else:
            st.session_state.pop(key, None)
            st.session_state["flash"] = f"Decided: {result.outcome} ({result.status.value}) on {item.id}"
            following = reviews.claim_next(reviewer)
            if following is not None:
                open_case(following.id)
            st.query_params.clear()
            st.rerun()
    if buttons[-3].button("Renew lease", key="renew"):
        reviews.renew(reviewer, item.id)
        st.rerun()
    if buttons[-2].button("Release", key="release"):
        reviews.release(reviewer, item.id)
        st.rerun()
    if buttons[-1].button("Escalate", key="escalate"):
        reviews.escalate(reviewer, item.id, "escalated from the case view")
        st.rerun()
    keys = {"u": f"unblur_{item.id}", "g": f"grayscale_{item.id}"}
    browser.bind_shortcuts({k: (keys.get(k, widget), what) for k, (widget, what) in browser.SHORTCUTS.items()})


# appeals, investigation, dashboard, settings, reviewers


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
                f"{_link('case', 'Open', item=case.item.id)}</div>"
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
        st.error(str(exc))
        return
    st.subheader(f"Videos by {history.handle}")
    _rows(st.container(), history.videos)
    left, right = st.columns(2)
    left.subheader("Reports filed")
    _rows(left, to_json(history.reports_filed))
    right.subheader("Reports received")
    _rows(right, to_json(history.reports_received))
    st.subheader(f"Videos {history.handle}'s likeness appears in")
    _rows(st.container(), history.cameo_uses)


def _rows(where: DeltaGenerator, rows: list[dict[str, object]]) -> None:
    if rows:
        where.table(pd.DataFrame(rows))
    else:
        where.caption("none")


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
        st.bar_chart(by_day, x_label="day", y_label="decisions")
        totals = by_day.sum().astype(int).sort_values(ascending=False)
        st.table(pd.DataFrame({"reviewer": totals.index, "decisions": totals.values}))
    if stats["quality_pair_rows"]:
        st.caption("Blind re-reviews beside their originals")
        st.table(pd.DataFrame(stats["quality_pair_rows"]))
    if stats["reason_mix"]:
        st.caption("Reason mix")
        st.bar_chart(pd.Series(stats["reason_mix"], name="items"))
    if reviewer.senior:
        st.download_button(
            "Export decisions (CSV)",
            data=reviews.decisions_csv(reviewer),
            file_name=f"decisions-{datetime.now(UTC):%Y%m%d}.csv",
            mime="text/csv",
            key="export_csv",
        )


def settings_page(reviewer: Reviewer) -> None:
    st.header("Settings")
    prefs = _preferences(reviewer)
    with st.form("wellness"):
        grayscale = st.checkbox("Show media in grayscale by default", value=prefs.grayscale)
        blur = st.slider("Blur strength until unblurred (px)", 4, 64, value=prefs.blur_px)
        if st.form_submit_button("Save"):
            saved = service().set_preferences(reviewer, ReviewerPreferences(grayscale, blur))
            st.session_state["preferences"] = saved
            st.session_state.pop("grayscale", None)
            st.success("Saved.")


def reviewers_page(reviewer: Reviewer) -> None:
    st.header("Reviewers")
    reviews = service()
    st.table(pd.DataFrame(to_json(reviews.reviewers(reviewer)), columns=["name", "role", "active"]))
    with st.form("add_reviewer"):
        name = st.text_input("Name")
        role = st.selectbox("Role", ["reviewer", "senior", "admin"])
        password = st.text_input("Initial password", type="password")
        if st.form_submit_button("Add reviewer"):
            try:
                if reviewer.role != "admin":
                    raise AccessDenied("only admins manage reviewers")
                reviews.add_reviewer(name, role, password)
                st.success(f"added {name}")
            except SafetyError as exc:
                st.error(str(exc))
