"""The reviewer console (Streamlit). It uses `safety`'s public API only; its pages arrive with the console work."""
