"""The reviewer's own settings (wellness) and, for admins, the reviewer accounts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_ui.markup import plain, table
from review_ui.session import preferences, service
from safety import AccessDenied, Reviewer, ReviewerPreferences, SafetyError, to_json


def settings_page(reviewer: Reviewer) -> None:
    st.header("Settings")
    prefs = preferences(reviewer)
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
    table(pd.DataFrame(to_json(reviews.reviewers(reviewer)), columns=["name", "role", "active"]))
    with st.form("add_reviewer"):
        name = st.text_input("Name")
        role = st.selectbox("Role", ["reviewer", "senior", "admin"])
        password = st.text_input("Initial password", type="password")
        if st.form_submit_button("Add reviewer"):
            try:
                if reviewer.role != "admin":
                    raise AccessDenied("only admins manage reviewers")
                reviews.add_reviewer(name, role, password)
                st.success(plain(f"added {name}"))
            except SafetyError as exc:
                st.error(plain(exc))
