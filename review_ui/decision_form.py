"""The decision form of a case: the lease's state, the outcome buttons, the reason and note, the lease actions.

No outcome is preselected, and the codes offered are those that fit the chosen outcome and this item. After a
decision the next item opens, claimed, so a reviewer works through the queue without going back to it.
"""

from __future__ import annotations

from datetime import UTC

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from review_ui import browser
from review_ui.markup import plain
from review_ui.session import service
from safety import CaseFile, Reviewer, SafetyError


def decision_form(reviewer: Reviewer, case: CaseFile, holder: str | None, slot: DeltaGenerator) -> None:
    """The form when this reviewer holds the item; otherwise who does, and a Claim button when nobody does."""
    reviews = service()
    item = case.item
    if holder != reviewer.name:
        slot.warning(plain(f"{'Held by ' + holder if holder else 'Nobody holds this item'}. Claim it to decide it."))
        if holder is None and st.button("Claim", key="claim_case"):
            if reviews.claim(reviewer, item.id):
                st.rerun()
            st.error("Someone else holds this item.")
        return
    until = item.lease_until.astimezone(UTC).strftime("%H:%M:%S UTC") if item.lease_until else "-"
    slot.info(f"You hold this item until {until}.")
    outcomes = ["uphold", "overturn"] if item.source.value == "appeal" else ["approve", "reject"]
    key = f"outcome:{item.id}"
    buttons = st.columns(len(outcomes) + 3)
    for column, choice in zip(buttons, outcomes, strict=False):
        shortcut = {"approve": " `a`", "reject": " `r`"}.get(choice, "")
        if column.button(choice.capitalize() + shortcut, key=f"outcome_{choice}"):
            st.session_state[key] = choice
    outcome = st.session_state.get(key)
    st.markdown(f"**Decision:** {outcome or 'choose an outcome'}")
    with st.form(f"decision_{item.id}"):
        code = st.selectbox("Reason code", case.codes_by_outcome.get(outcome or "", []), index=None)
        note = st.text_area("Note", key=f"note_{item.id}")
        submitted = st.form_submit_button("Submit decision", disabled=outcome is None)
    if submitted and (outcome is None or code is None):
        st.error("Choose a decision and a reason code.")
    elif submitted and outcome is not None and code is not None:
        _decide(reviewer, case, outcome, code, note)
    _lease_actions(reviewer, case, buttons[-3:])
    keys = {"u": f"unblur_{item.id}", "g": f"grayscale_{item.id}"}
    browser.bind_shortcuts({k: (keys.get(k, widget), what) for k, (widget, what) in browser.SHORTCUTS.items()})


def _decide(reviewer: Reviewer, case: CaseFile, outcome: str, code: str, note: str) -> None:
    """Decide, then open the next item this reviewer may take (or the empty case page)."""
    # Imported here: the router imports every page, and this form needs the router's case page to go to.
    from review_ui.pages import open_case

    reviews = service()
    item = case.item
    try:
        result = reviews.decide(reviewer, item.id, outcome, code, note)
    except SafetyError as exc:
        st.error(plain(exc))
        return
    st.session_state.pop(f"outcome:{item.id}", None)
    # Markdown, shown by the next page: the outcome and status are our own words, the item id is escaped.
    st.session_state["flash"] = f"Decided: {result.outcome} ({result.status.value}) on {plain(item.id)}"
    following = reviews.claim_next(reviewer)
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
        reviews.escalate(reviewer, item_id, "escalated from the case view")
        st.rerun()
