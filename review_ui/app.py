"""Entry point of the reviewer console: `cameoguard review serve` runs `streamlit run` on this file.

It only routes: nobody sees anything before logging in; then the sidebar picks a page.
"""

from __future__ import annotations

import streamlit as st

from review_ui import pages

st.set_page_config(page_title="cameoguard review", layout="wide")
reviewer = pages.current_reviewer()
if reviewer is None:
    pages.login_page()
    st.stop()
routes = pages.routes_for(reviewer)
if "goto" in st.session_state:
    st.session_state["page"] = st.session_state.pop("goto")
choice = st.sidebar.radio("Page", list(routes), key="page")
st.sidebar.caption(f"{reviewer.name} ({reviewer.role})")
if st.sidebar.button("Log out"):
    pages.logout()
    st.rerun()
routes[choice](reviewer)
