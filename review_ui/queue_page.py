"""The queue page: what waits for review, filtered, with blurred thumbnails, and bulk decisions for seniors."""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st
from PIL import Image

from review_ui import browser, pictures
from review_ui.markup import link, plain, reason_label
from review_ui.session import preferences, service
from safety import QueueEntry, Reviewer, ReviewerPreferences

_SLA_COLOURS = {"breached": "#c92a2a", "due soon": "#e67700", "on time": "#2b8a3e"}


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
        return "<span style='color:#c92a2a'>file missing</span>"
    uri = _thumbnail_uri(str(path), path.stat().st_mtime, prefs.blur_px, prefs.grayscale)
    return f'<img alt="thumbnail (blurred)" src="{uri}" style="width:96px">' if uri else ""


def queue_table(entries: list[QueueEntry], prefs: ReviewerPreferences) -> str:
    """The queue as an HTML table (text a screen reader and a search can read), as wide as the page."""
    rows = []
    for entry in entries:
        item = entry.item
        state = html.escape(entry.holder_text)
        if item.escalated_by:
            # Marked for the senior: who sent it up and why (the note in full on the case).
            why = item.escalation_note[:80] + ("…" if len(item.escalation_note) > 80 else "")
            by = html.escape(item.escalated_by)
            state += f"<br><b style='color:#c92a2a'>escalated</b> by {by}: {html.escape(why)}"
        rows.append(
            "<tr>"
            f"<td>{_thumbnail(entry, prefs)}</td>"
            f"<td style='max-width:480px;overflow-wrap:anywhere'>{html.escape(entry.prompt)}</td>"
            f"<td>{html.escape(entry.creator)}</td>"
            f"<td>{html.escape(item.source.value)}</td>"
            f"<td style='overflow-wrap:anywhere'>{html.escape(', '.join(dict.fromkeys(item.reason_codes)))}</td>"
            f"<td>{item.severity}</td>"
            f"<td style='white-space:nowrap'>{entry.age_hours:.1f} h</td>"
            f"<td style='color:{_SLA_COLOURS[entry.sla]}'>{html.escape(entry.sla)}<br>"
            f"<small>{item.due_at:%Y-%m-%d %H:%M}</small></td>"
            f"<td>{state}</td>"
            f"<td>{link('case', 'Open', item=item.id)}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th style='text-align:left'>{h}</th>"
        for h in ("", "prompt", "creator", "source", "reasons", "sev.", "age", "SLA", "state", "")
    )
    return (
        "<table id='queue' style='width:100%;table-layout:auto;border-collapse:collapse;"
        f"font-size:0.9em'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def queue_page(reviewer: Reviewer) -> None:
    st.header("Queue")
    for level, message in st.session_state.pop("queue_flash", []):
        (st.success if level == "success" else st.warning)(message)
    reviews = service()
    prefs = preferences(reviewer)
    everything = reviews.queue_entries(reviewer)
    codes = sorted({c for e in everything for c in e.item.reason_codes})
    columns = st.columns([2, 1, 1, 1, 1])
    reason = columns[0].selectbox("Reason", ["(all)", *codes], key="filter_reason")
    policy = columns[1].selectbox("Policy", ["(all)", "default", "teen"], key="filter_policy")
    source = columns[2].selectbox("Source", ["(all)", "gate", "report", "appeal", "quality"], key="filter_source")
    sla = columns[3].selectbox("SLA", ["(all)", "breached", "due soon", "on time"], key="filter_sla")
    if columns[4].button("Claim next `n`", key="next_item"):
        claim_next(reviewer)

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


def claim_next(reviewer: Reviewer) -> None:
    """Claim the most urgent item and open its case."""
    # Imported here: the router imports every page, and this page needs the router's case page to go to.
    from review_ui.pages import open_case

    claimed = service().claim_next(reviewer)
    if claimed is None:
        st.info("Nothing to claim.")
        return
    open_case(claimed.id)


def _bulk_form(reviewer: Reviewer, entries: list[QueueEntry]) -> None:
    """Seniors select items and decide them with one outcome and one reason."""
    reviews = service()
    # A new round of widgets after each bulk decision: the selection, outcome, code and note start empty.
    round_ = st.session_state.get("bulk_round", 0)
    with st.expander("Decide several items (seniors)", expanded=bool(round_)):
        labels = {e.item.id: f"{e.item.id}: {e.prompt[:60]}" for e in entries if e.item.source.value != "appeal"}
        chosen = st.multiselect("Items", list(labels), format_func=lambda i: labels[i], key=f"bulk_items_{round_}")
        outcome = st.radio("Outcome", ["approve", "reject"], index=None, horizontal=True, key=f"bulk_outcome_{round_}")
        items = [e.item for e in entries if e.item.id in chosen]
        fitting = [set(reviews.reason_codes(i, outcome)) for i in items] if outcome else []
        codes = sorted(set.intersection(*fitting)) if fitting else []
        code = st.selectbox(
            "Reason code (fits every selected item)",
            codes,
            index=None,
            format_func=reason_label,
            key=f"bulk_code_{round_}",
        )
        note = st.text_input("Note", key=f"bulk_note_{round_}")
        if st.button("Decide selected", key="bulk_decide", disabled=not (chosen and outcome and code)):
            assert outcome is not None and code is not None
            results = reviews.decide_many(reviewer, chosen, outcome, code, note)
            done = [i for i, r in results if not isinstance(r, str)]
            flash = [("success", f"Decided {len(done)} of {len(results)}.")]
            flash += [("warning", plain(f"{i}: {r}")) for i, r in results if isinstance(r, str)]
            # Shown by the next run, which lists the queue as it is now.
            st.session_state["queue_flash"] = flash
            st.session_state["bulk_round"] = round_ + 1
            st.rerun()
