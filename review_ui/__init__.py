"""The reviewer console (Streamlit). `app.py` only routes; each page is a function in `pages.py`; everything
comes from `safety.ReviewService`, built once per process (a cached resource). No SQL here."""
