"""The console's server: Streamlit running `app.py`, plus the endpoint that sets the HttpOnly session cookie.

`cameoguard review serve` runs `streamlit run` on this file; Streamlit finds `app` below and serves it (uvicorn).
"""

from __future__ import annotations

from pathlib import Path

from streamlit.starlette import App

from review_ui.cookie import routes

app = App(Path(__file__).resolve().with_name("app.py"), routes=routes())
