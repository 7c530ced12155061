"""The decision form of a case: the lease's state, the outcome buttons, the reason and note, the lease actions.

No outcome is preselected, and the codes offered are those that fit the chosen outcome and this item, the item's
own first, each once, readable with the code beside it. After a decision the next item opens, claimed, so a reviewer
works through the queue without going back to it. What the form says about the lease is what holds now: a lapsed
lease is anyone's (a Claim button), a decided item shows its decision and nothing to claim.
"""

from __future__ import annotations

import math
from datetime import UTC

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from review_ui import browser
from review_ui.markup import plain, reason_label
from review_ui.queue_page import claim_next
from review_ui.session import count_decision, service
from safety import CaseFile, Lease, Reviewer, SafetyError

# Warned this long before the lease runs out (the page counts down; any action on the case renews it).
LEASE_WARNING_S = 120
ESCALATION_REASONS = (
    "needs a senior's judgement",
    "the policy is unclear here",
    "may show a real person",
    "legal or safety risk",
    "other",
)


def decided_text(case: CaseFile) -> str:
    """What a decided item says instead of a form (Markdown, names escaped)."""
    item = case.item
    if not item.outcome:
        return "This item is closed: its video was removed or decided elsewhere."
    when = f" on {item.decided_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if item.decided_at else ""
    return (
        f"Decided: **{plain(item.outcome)}** ({plain(item.outcome_code or '-')}) "
        f"by {plain(item.decided_by or '-')}{when}. Read only."
    )


def lease_text(lease: Lease, me: str) -> str:
    """The lease in words: who holds the item and for how long, or that anyone may claim it."""
    if lease.decided:
        return "This item is decided."
    if lease.holder == me and lease.until is not None:
        minutes = math.ceil(lease.left.total_seconds() / 60)
        until = lease.until.astimezone(UTC).strftime("%H:%M:%S UTC")
        return f"You hold this item until {until} ({minutes} min left). Working on the case renews it."
    if lease.holder is not None:
        return f"Held by {lease.holder} for {math.ceil(lease.left.total_seconds() / 60)} more min."
    if lease.lapsed_from:
        return f"{lease.lapsed_from}'s lease ran out: anyone may claim this item."
    return "Nobody holds this item. Claim it to decide it."


def decision_form(reviewer: Reviewer, case: CaseFile, lease: Lease, slot: DeltaGenerator) -> None:
    """The form when this reviewer holds the item; otherwise who does, and a Claim button when anyone may."""
    item = case.item
    if lease.decided:
        slot.info(decided_text(case))
        browser.bind_shortcuts({"n": browser.SHORTCUTS["n"]})
        _next_button(reviewer)
        return
    if lease.holder != reviewer.name:
        _claim_or_wait(reviewer, case, lease, slot)
        return
    slot.info(plain(lease_text(lease, reviewer.name)))
    if lease.until is not None:
        browser.lease_countdown(lease.until, int(lease.left.total_seconds()), LEASE_WARNING_S)
    outcomes = ["uphold", "overturn"] if item.source.value == "appeal" else ["approve", "reject"]
    key = f"outcome:{item.id}"
    buttons = st.columns(len(outcomes))
    chosen_now = False
    for column, choice in zip(buttons, outcomes, strict=True):
        letters = [k for k, (widget, _) in browser.SHORTCUTS.items() if widget == f"outcome_{choice}"]
        shortcut = f" `{letters[0]}`" if letters else ""
        approving = choice in ("approve", "overturn")
        if column.button(
            choice.capitalize() + shortcut, key=f"outcome_{choice}", disabled=approving and not case.media_shown
        ):
            st.session_state[key] = choice
            chosen_now = True
    if not case.media_shown:
        st.warning("The video's file cannot be shown, so it cannot be approved. Reject it, or escalate it.")
    outcome = st.session_state.get(key)
    st.markdown(f"**Decision:** {outcome or 'choose an outcome'}")
    picker = f"code_{item.id}_{outcome}"
    with st.form(f"decision_{item.id}"):
        codes = list(dict.fromkeys(case.codes_by_outcome.get(outcome or "", [])))
        code = st.selectbox("Reason code", codes, index=None, format_func=reason_label, key=picker)
        note = st.text_area("Note", key=f"note_{item.id}")
        submitted = st.form_submit_button("Submit decision", disabled=outcome is None)
    if submitted and (outcome is None or code is None):
        st.error("Choose a decision and a reason code.")
    elif submitted and outcome is not None and code is not None:
        _decide(reviewer, case, outcome, code, note)
    _lease_actions(reviewer, case, list(st.columns(3)))
    keys = {"u": f"unblur_{item.id}", "g": f"grayscale_{item.id}"}
    browser.bind_shortcuts(
        {k: (keys.get(k, widget), what) for k, (widget, what) in browser.SHORTCUTS.items()},
        submit="Submit decision",
        focus=picker if chosen_now or outcome else None,
    )


def _claim_or_wait(reviewer: Reviewer, case: CaseFile, lease: Lease, slot: DeltaGenerator) -> None:
    reviews = service()
    refusal = reviews.claim_refusal(reviewer, case.item.id)
    slot.warning(plain(refusal or lease_text(lease, reviewer.name)))
    if not refusal and st.button("Claim", key="claim_case"):
        if reviews.claim(reviewer, case.item.id):
            st.rerun()
        # Whatever is true now (someone was faster, the item was decided meanwhile).
        st.error(plain(reviews.claim_refusal(reviewer, case.item.id) or "The item could not be claimed."))
    browser.bind_shortcuts({"n": browser.SHORTCUTS["n"]})
    _next_button(reviewer)


def _next_button(reviewer: Reviewer) -> None:
    if st.button("Claim next `n`", key="next_item"):
        claim_next(reviewer)


def _decide(reviewer: Reviewer, case: CaseFile, outcome: str, code: str, note: str) -> None:
    """Decide, then open the next item this reviewer may take (or the empty case page)."""
    reviews = service()
    item = case.item
    try:
        result = reviews.decide(reviewer, item.id, outcome, code, note)
    except SafetyError as exc:
        st.error(plain(exc))
        return
    st.session_state.pop(f"outcome:{item.id}", None)
    count_decision()
    # Markdown, shown by the next page: the outcome and status are our own words, the item id is escaped.
    _go_next(reviewer, f"Decided: {result.outcome} ({result.status.value}) on {plain(item.id)}")


def _go_next(reviewer: Reviewer, flash: str) -> None:
    """Open the next item this reviewer may take, claimed, with a message from what they just did."""
    # Imported here: the router imports every page, and this form needs the router's case page to go to.
    from review_ui.pages import open_case

    st.session_state["flash"] = flash
    following = service().claim_next(reviewer)
    if following is not None:
        open_case(following.id)
    st.query_params.clear()
    st.rerun()


def _lease_actions(reviewer: Reviewer, case: CaseFile, columns: list[DeltaGenerator]) -> None:
    reviews = service()
    item_id = case.item.id
    if columns[0].button("Renew lease", key="renew"):
        reviews.renew(reviewer, item_id)
        st.rerun()
    if columns[1].button("Release", key="release"):
        reviews.release(reviewer, item_id)
        st.rerun()
    if columns[2].button("Escalate", key="escalate"):
        st.session_state[f"escalating:{item_id}"] = True
    if st.session_state.get(f"escalating:{item_id}"):
        _escalation_form(reviewer, case)


def _escalation_form(reviewer: Reviewer, case: CaseFile) -> None:
    """Why the item goes to a senior: a reason and a note, kept on the item for the senior to read."""
    item_id = case.item.id
    with st.form(f"escalate_{item_id}"):
        st.markdown("**Escalate to a senior**")
        why = st.selectbox("Why", ESCALATION_REASONS, index=None, key=f"escalate_why_{item_id}")
        note = st.text_area("What the senior should know", key=f"escalate_note_{item_id}")
        sent = st.form_submit_button("Send to a senior", key="escalate_send")
    if not sent:
        return
    if why is None or not note.strip():
        st.error("Say why, and what the senior should know.")
        return
    try:
        service().escalate(reviewer, item_id, f"{why}: {note.strip()}")
    except SafetyError as exc:
        st.error(plain(exc))
        return
    st.session_state.pop(f"escalating:{item_id}", None)
    _go_next(reviewer, f"Escalated {plain(item_id)} to the seniors.")
