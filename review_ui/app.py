"""Entry point of the reviewer console: `cameoguard review serve` runs `streamlit run` on this file.

It only routes. Every page is registered before login (hidden), so a link to a case survives the login form;
nobody sees anything but that form until logged in, and then only the pages their role allows.
"""

from __future__ import annotations

import streamlit as st

from review_ui import markup, pages, session

st.set_page_config(page_title="cameoguard review", layout="wide")
markup.page_style()
reviewer = session.current_reviewer()
navigation = st.navigation(
    list(pages.pages_for(reviewer).values()), position="sidebar" if reviewer is not None else "hidden"
)
if reviewer is not None:
    session.sidebar(reviewer)
navigation.run()
