"""The console's pages. Each takes the logged-in reviewer and talks to `ReviewService` only."""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st
from PIL import Image, ImageFilter

from safety import AccessDenied, Reviewer, ReviewService, SafetyError, Settings, build, to_json


@st.cache_resource
def review_service(home: str, database_url: str | None) -> ReviewService:
    """Built once per process and configuration: models and connections are not reloaded per click."""
    services = build(Settings(home=Path(home), database_url=database_url))
    share = float(os.environ.get("CAMEOGUARD_QUALITY_SHARE", "0.1"))
    return services.review_service(quality_share=share)


def service() -> ReviewService:
    return review_service(os.environ.get("CAMEOGUARD_HOME", "var"), os.environ.get("CAMEOGUARD_DATABASE_URL"))


def current_reviewer() -> Reviewer | None:
    token = st.session_state.get("token")
    if not token:
        return None
    try:
        return service().whoami(token)
    except AccessDenied:
        st.session_state.pop("token", None)
        st.session_state["login_message"] = "Your session expired. Log in again."
        return None


def _client_address() -> str:
    return str(st.context.ip_address or "unknown")


def plain(text: object) -> str:
    """User text (prompts, reports, appeals, messages) for Markdown, shown as written: every ASCII punctuation mark
    is escaped, so `![x](http://host/a.png)` is text, not an image the reviewer's browser would fetch."""
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in str(text)).replace("\n", "  \n")


_MARKDOWN_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _inline_image(picture: Image.Image, caption: str, width: int | None = None) -> str:
    """An image as a data URI inside the page: case pictures never get a URL on Streamlit's public /media/."""
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=85)
    data = base64.b64encode(buffer.getvalue()).decode()
    size = f"width:{width}px;" if width else "width:100%;"
    return (
        f'<figure style="margin:0"><img alt="" style="{size}" src="data:image/jpeg;base64,{data}">'
        f"<figcaption style='font-size:0.8em'>{html.escape(caption)}</figcaption></figure>"
    )


def _inline_audio(wav: bytes, caption: str) -> str:
    """A sound clip as a data URI inside the page, like case pictures: never a URL on Streamlit's /media/."""
    data = base64.b64encode(wav).decode()
    return (
        f'<figure style="margin:0"><audio controls preload="none" style="width:100%" '
        f'src="data:audio/wav;base64,{data}"></audio>'
        f"<figcaption style='font-size:0.8em'>{html.escape(caption)}</figcaption></figure>"
    )


def logout() -> None:
    token = st.session_state.pop("token", None)
    if token:
        service().logout(token)


def login_page() -> None:
    st.title("cameoguard review")
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
        st.rerun()


def routes_for(reviewer: Reviewer) -> dict[str, Callable[[Reviewer], None]]:
    routes: dict[str, Callable[[Reviewer], None]] = {"Queue": queue_page, "Case": case_page}
    if reviewer.senior:
        routes["Appeals"] = appeals_page
    routes["Dashboard"] = dashboard_page
    if reviewer.role == "admin":
        routes["Reviewers"] = reviewers_page
    return routes


def _open_case(item_id: str) -> None:
    st.session_state["case"] = item_id
    # The page radio is already drawn in this run; the entry file applies the switch on the next run.
    st.session_state["goto"] = "Case"


def queue_page(reviewer: Reviewer) -> None:
    st.header("Queue")
    reviews = service()
    items = reviews.queue(reviewer)
    codes = sorted({c for i in items for c in i.reason_codes})
    col_reason, col_policy, col_next = st.columns([2, 2, 1])
    reason = col_reason.selectbox("Reason", ["(all)", *codes], key="filter_reason")
    policy = col_policy.selectbox("Policy", ["(all)", "default", "teen"], key="filter_policy")
    items = reviews.queue(
        reviewer, reason=None if reason == "(all)" else reason, policy=None if policy == "(all)" else policy
    )
    if col_next.button("Claim next"):
        claimed = reviews.claim_next(reviewer)
        if claimed is None:
            st.info("Nothing to claim.")
        else:
            _open_case(claimed.id)
            st.rerun()
    if not items:
        st.info("The queue is empty.")
        return
    table = pd.DataFrame(
        [
            {
                "item": i.id,
                "video": i.video_id,
                "source": i.source,
                "reasons": ", ".join(i.reason_codes),
                "severity": i.severity,
                "due": i.due_at.strftime("%Y-%m-%d %H:%M"),
                "state": i.state if i.state != "claimed" else f"claimed by {i.claimed_by}",
            }
            for i in items
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    choice = st.selectbox("Item", [i.id for i in items], key="queue_item")
    if st.button("Claim", key="claim_selected"):
        if reviews.claim(reviewer, choice):
            _open_case(choice)
            st.rerun()
        else:
            st.error("Someone else holds this item.")


def _player(path: Path, blurred: bool, grayscale: bool) -> None:
    data = base64.b64encode(path.read_bytes()).decode()
    filters = []
    if blurred:
        filters.append("blur(24px)")
    if grayscale:
        filters.append("grayscale(100%)")
    style = f"width:100%;max-width:720px;filter:{' '.join(filters) or 'none'}"
    st.html(f'<video id="case-video" controls muted style="{style}" src="data:video/mp4;base64,{data}"></video>')


def case_page(reviewer: Reviewer) -> None:
    reviews = service()
    item_id = st.session_state.get("case")
    st.header("Case")
    if not item_id:
        st.info("Claim an item from the queue.")
        return
    try:
        case = reviews.case(reviewer, item_id)
    except SafetyError as exc:
        st.error(str(exc))
        return
    item, video = case.item, case.video
    blind = item.blind_of is not None
    st.subheader(f"{video['video_id']} by {video['creator']}" + (" (quality re-review: blind)" if blind else ""))
    holder = item.claimed_by if item.state == "claimed" else None
    if holder != reviewer.name:
        st.warning("You do not hold this item. Claim it from the queue to decide it.")
    left, right = st.columns([3, 2])
    with left:
        unblur = st.checkbox("Unblur (the video starts blurred and muted)", key="unblur")
        grayscale = st.checkbox("Grayscale", key="grayscale")
        if case.media_path is not None and case.media_path.is_file():
            _player(case.media_path, blurred=not unblur, grayscale=grayscale)
        strip = reviews.frame_strip(case)
        if strip:
            st.caption("Frames at findings")
            columns = st.columns(len(strip))
            for column, (t, frame) in zip(columns, strip, strict=True):
                notes = [f["verdict"] for f in case.faces if abs(float(f["frame_t"]) - t) < 0.3]
                picture = Image.fromarray(frame)
                if not unblur:
                    picture = picture.filter(ImageFilter.GaussianBlur(radius=max(4, picture.width // 40)))
                if grayscale:
                    picture = picture.convert("L")
                column.html(_inline_image(picture, f"{t:.1f} s {' '.join(notes)}"))
        if case.spoken and not blind:
            st.caption("Speech at findings")
            for spoken in case.spoken:
                clip = reviews.audio_clip(case, spoken["t_start"], spoken["t_end"])
                label = f"{spoken['t_start']:.1f}-{spoken['t_end']:.1f} s, {spoken['code']}: {spoken['said']}"
                if clip:
                    st.html(_inline_audio(clip, label))
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
        for report in case.reports:
            st.markdown(f"Reported by **{plain(report.reporter)}**: {plain(report.reason)}")
        if case.appeal:
            st.markdown(f"**Appeal by {plain(case.appeal.appellant)}:** {plain(case.appeal.text)}")
        parent, remixes = video["remix_of"] or "-", ", ".join(video["remixes"]) or "-"
        st.markdown(f"**Lineage:** parent {plain(parent)}; remixes {plain(remixes)}")
    if case.faces:
        st.caption("Faces in the video")
        for face in case.faces:
            cols = st.columns([1, 1, 3])
            cols[2].markdown(
                plain(
                    f"{face['t_start']:.1f}-{face['t_end']:.1f} s: {face['identity'] or 'unknown'} "
                    f"(nearest {face['nearest']}, distance {face['distance']}, {face['verdict']})"
                )
            )
            for ref in face.get("references", [])[:1]:
                with Image.open(ref) as reference:
                    cols[0].html(_inline_image(reference, "cameo reference", width=120))
    with st.expander("Creator's recent videos"):
        st.dataframe(pd.DataFrame(case.history), hide_index=True)
    if holder != reviewer.name:
        return
    appeal = item.source == "appeal"
    # No outcome is preselected, and the codes offered are those that fit the chosen outcome and this item.
    outcome = st.radio(
        "Decision", ["uphold", "overturn"] if appeal else ["approve", "reject"], horizontal=True, index=None
    )
    with st.form("decision"):
        code = st.selectbox("Reason code", case.codes_by_outcome.get(outcome or "", []), index=None)
        note = st.text_area("Note")
        submitted = st.form_submit_button("Submit decision", disabled=outcome is None)
    if submitted and (outcome is None or code is None):
        st.error("Choose a decision and a reason code.")
    elif submitted and outcome is not None and code is not None:
        try:
            result = reviews.decide(reviewer, item.id, outcome, code, note)
        except SafetyError as exc:
            st.error(str(exc))
        else:
            st.success(f"Decided: {result.outcome} ({result.status.value})")
            st.session_state.pop("case", None)
    actions = st.columns(3)
    if actions[0].button("Renew lease"):
        reviews.renew(reviewer, item.id)
    if actions[1].button("Release"):
        reviews.release(reviewer, item.id)
        st.session_state.pop("case", None)
        st.rerun()
    if actions[2].button("Escalate to senior"):
        reviews.escalate(reviewer, item.id, "escalated from the case view")
        st.session_state.pop("case", None)
        st.rerun()


def appeals_page(reviewer: Reviewer) -> None:
    st.header("Appeals")
    reviews = service()
    items = [i for i in reviews.queue(reviewer) if i.source == "appeal" or i.needs_senior]
    if not items:
        st.info("No appeals or escalations waiting.")
        return
    st.dataframe(
        pd.DataFrame([{"item": i.id, "video": i.video_id, "source": i.source, "state": i.state} for i in items]),
        hide_index=True,
    )
    choice = st.selectbox("Item", [i.id for i in items], key="appeal_item")
    if st.button("Claim", key="claim_appeal") and reviews.claim(reviewer, choice):
        _open_case(choice)
        st.rerun()


def dashboard_page(reviewer: Reviewer) -> None:
    st.header("Dashboard")
    stats = to_json(service().dashboard(reviewer))
    cols = st.columns(4)
    cols[0].metric("Queue depth", stats["queue_depth"])
    cols[1].metric("Oldest item (h)", stats["oldest_age_hours"])
    cols[2].metric("SLA breaches", stats["sla_breaches"])
    agreement = stats["quality_agreement"]
    cols[3].metric(
        "Quality agreement", "-" if agreement is None else f"{agreement:.0%}", f"{stats['quality_pairs']} pairs"
    )
    if stats["reason_mix"]:
        st.caption("Reason mix")
        st.bar_chart(pd.Series(stats["reason_mix"], name="items"))
    per_hour = stats["decisions_per_reviewer_per_hour"]
    if per_hour:
        st.caption("Decisions per reviewer per hour")
        st.bar_chart(pd.DataFrame(per_hour).T.fillna(0))


def reviewers_page(reviewer: Reviewer) -> None:
    st.header("Reviewers")
    reviews = service()
    st.dataframe(
        pd.DataFrame(to_json(reviews.reviewers(reviewer)), columns=["name", "role", "active"]), hide_index=True
    )
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
