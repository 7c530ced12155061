"""The case page (`/case?item=rev_…`): the video and its evidence on the left, what was asked and found on the
right, face evidence and the creator's history below, and the decision form.

The video, the frame strip and the face crops start blurred (and grey, if the reviewer prefers); unblurring is a
choice made per case, never remembered from the last one.
"""

from __future__ import annotations

import html
from typing import Any

import streamlit as st
from PIL import Image

from review_ui import browser, pictures
from review_ui.decision_form import decision_form
from review_ui.markup import link, plain, table
from review_ui.queue_page import claim_next
from review_ui.session import preferences, service
from safety import CaseFile, Reviewer, SafetyError, to_json


def case_page(reviewer: Reviewer) -> None:
    item_id = st.query_params.get("item")
    st.header("Case")
    if message := st.session_state.pop("flash", None):
        st.success(message)
    if not item_id:
        st.info("Open an item from the queue, or claim the next one.")
        _claim_next_button(reviewer)
        return
    try:
        case = service().case(reviewer, item_id)
    except SafetyError as exc:
        st.error(plain(exc))
        _claim_next_button(reviewer)  # `n` still leads on from a case this reviewer may not open
        return
    # Looking at a case you hold is working on it: the lease is renewed on every run of the page.
    lease = service().lease_of(reviewer, item_id, keep=True)
    item, video = case.item, to_json(case)
    blind = item.blind_of is not None
    st.subheader(plain(f"{video['video_id']} by {video['creator']}") + (" (quality re-review: blind)" if blind else ""))
    _creator_line(case, str(video["creator"]))
    if item.escalated_by:
        st.warning(plain(f"Escalated by {item.escalated_by}: {item.escalation_note or 'no note'}"))
    left, right = st.columns([3, 2])
    with left:
        blur_px, grayscale = _media(reviewer, case)
    with right:
        # The decision first, so it is in view without scrolling (1280x800 and up); what was found below it.
        decision_form(reviewer, case, lease, st.empty())
        _facts(case, video)
    if case.faces:
        _face_evidence(case, blur_px, grayscale)
    with st.expander("Creator's recent videos"):
        table(case.history)


def _claim_next_button(reviewer: Reviewer) -> None:
    if st.button("Claim next `n`", key="next_item"):
        claim_next(reviewer)
    browser.bind_shortcuts({"n": browser.SHORTCUTS["n"]})


def _creator_line(case: CaseFile, creator: str) -> None:
    """The creator's record in one line under the title: their other videos by status and reports received."""
    counts = case.creator_videos
    total = sum(counts.values())
    by_status = ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    record = f"{total} other videos ({by_status})" if total else "no other videos"
    st.html(
        f"<div style='font-size:0.9em'>Creator <b>{html.escape(creator)}</b>: {html.escape(record)}, "
        f"{case.reports_received} reports received · {link('investigate', 'history', user=creator)}</div>"
    )


def _media(reviewer: Reviewer, case: CaseFile) -> tuple[int, bool]:
    """The player, the frame strip and the speech findings; returns the blur and greyness chosen."""
    prefs = preferences(reviewer)
    item = case.item
    toggles = st.columns(2)
    # Keyed by item: every case starts blurred, and grey when the reviewer prefers it.
    unblur = toggles[0].checkbox(
        "Unblur `u`", key=f"unblur_{item.id}", help="Every case starts blurred, and its sound muted."
    )
    grayscale = toggles[1].checkbox("Grayscale `g`", key=f"grayscale_{item.id}", value=prefs.grayscale)
    blur_px = 0 if unblur else prefs.blur_px
    if case.media_shown and case.media_path is not None:
        # Our own markup and script only (no creator text): the controls outside the blur need the script.
        st.html(
            pictures.video_player(case.media_path, blur_px=blur_px, grayscale=grayscale), unsafe_allow_javascript=True
        )
    else:
        st.error("The video's file cannot be found, so it cannot be shown (nor approved).")
    _frame_strip(case, blur_px, grayscale)
    # A blind re-review sees every piece of evidence; only the first decision is hidden.
    if case.spoken:
        st.caption("Speech at findings")
        for spoken in case.spoken:
            clip = service().audio_clip(case, spoken["t_start"], spoken["t_end"])
            language = f" [{spoken['language']}]" if spoken["language"] else ""
            label = f"{spoken['t_start']:.1f}-{spoken['t_end']:.1f} s, {spoken['code']}{language}: {spoken['said']}"
            if clip:
                st.html(pictures.audio_figure(clip, label))
            else:
                st.markdown(plain(label))
    return blur_px, grayscale


def _facts(case: CaseFile, video: dict[str, Any]) -> None:
    """The prompt, status and policy, the reasons and scores (on a blind re-review too: those of the checks, never
    the first reviewer's), reports, the appeal and lineage."""
    st.markdown(f"**Prompt:** {plain(video['prompt'])}")
    st.markdown(f"**Status:** {plain(video['status'])}  **Policy:** {plain(video['policy'])}")
    for reason in case.reasons:
        st.markdown(f"- {plain(reason['code'])} ({plain(reason['action'])}): {plain(reason['message'])}")
        if reason.get("policy_text"):
            st.caption(plain(reason["policy_text"]))
    _scores(case)
    for report in case.reports:
        st.markdown(f"Reported by **{plain(report.reporter)}**: {plain(report.reason)}")
    if case.appeal:
        st.markdown(f"**Appeal by {plain(case.appeal.appellant)}:** {plain(case.appeal.text)}")
    parent, remixes = video["remix_of"] or "-", ", ".join(video["remixes"]) or "-"
    st.markdown(f"**Lineage:** parent {plain(parent)}; remixes {plain(remixes)}")
    st.html(link("investigate", f"Investigate {video['creator']}", user=str(video["creator"])))


def _frame_strip(case: CaseFile, blur_px: int, grayscale: bool) -> None:
    strip = service().frame_strip(case)
    if not strip:
        return
    st.caption("Frames at findings (faces outlined)")
    figures = []
    for frame in strip:
        # Outlined after blurring, so the box stays sharp on a blurred frame.
        picture = pictures.outlined(
            pictures.softened(Image.fromarray(frame.image), blur_px=blur_px, grayscale=grayscale), frame.boxes
        )
        labels = ", ".join(label for _, label in frame.boxes)
        caption = f"{frame.t:.1f} s {labels}"
        figures.append(pictures.figure(picture, caption, width=200, alt=f"frame at {frame.t:.1f} s"))
    # One row of thumbnails (a single frame does not fill the column), wrapping when narrow.
    st.html(f"<div style='display:flex;flex-wrap:wrap;gap:8px'>{''.join(figures)}</div>")


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
                # Blurred like the crop beside it: a reference photo is a real person's face too.
                shown = pictures.softened(reference, blur_px=blur_px, grayscale=grayscale)
                cols[1].html(pictures.figure(shown, f"{kind}: {face.subject}", width=140, alt=kind))
        else:
            cols[1].caption("no reference on file")
        subject = face.subject or "nobody enrolled"
        cols[2].html(
            f"<div>track {face.track}: nearest <b>{html.escape(subject)}</b> "
            f"({html.escape(face.subject_kind or '-')}), verdict <b>{html.escape(face.verdict)}</b></div>"
            + pictures.bar(face.similarity, "similarity")
        )


def _scores(case: CaseFile) -> None:
    scores = case.scores
    if scores:
        st.caption("Scores by category")
        st.html("".join(pictures.bar(float(v), str(k)) for k, v in sorted(scores.items())))
