"""Text for the page: creator text shown as written, and links between the console's pages.

Creator text (prompts, reports, appeals, transcripts, handles) must never become markup in the reviewer's browser:
an image or a link of the creator's choosing would make the browser call a host the creator picked. Streamlit
renders Markdown in more places than `st.markdown`: alerts (`st.error`, `st.warning`, `st.info`, `st.success`),
captions, headers, widget labels and help, and every cell of `st.table`. So anything not written here passes
through `plain` (Markdown) or `html.escape` (`st.html`) on its way to the page, error messages included: they
may quote a URL parameter (`/case?item=…`) or a handle as typed.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def plain(text: object) -> str:
    """User text (prompts, reports, appeals, messages) for Markdown, shown as written: every ASCII punctuation mark
    is escaped, so `![x](http://host/a.png)` is text, not an image the reviewer's browser would fetch, and a bare
    `http://…`, `www.…` or `name@host` gets an invisible word joiner, so it is not turned into a link either."""
    escaped = "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in str(text))
    # Escapes do not stop GitHub's auto-links: Streamlit finds them in the text after the Markdown is parsed, when
    # the escapes are gone. A word joiner after `http:`, after `www` and before `@` breaks the patterns it looks for
    # (`https?://`, `www.`, `x@y.z`) and shows nothing.
    escaped = _SCHEME.sub(lambda m: m.group(0) + _JOINER, escaped)
    escaped = _WWW.sub(lambda m: m.group(0) + _JOINER, escaped).replace("\\@", _JOINER + "\\@")
    return escaped.replace("\n", "  \n")


_MARKDOWN_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_JOINER = "\u2060"
_SCHEME = re.compile(r"https?\\:", re.IGNORECASE)
_WWW = re.compile(r"www(?=\\\.)", re.IGNORECASE)


def link(path: str, label: str, **params: str) -> str:
    """An HTML link to one of the console's pages, its label and query escaped."""
    query = html.escape(urlencode(params), quote=True)
    return f'<a href="./{path}?{query}" target="_self">{html.escape(label)}</a>'


def reason_label(code: str) -> str:
    """A reason code as a reviewer reads it, the code beside it: `Prompt: election deception (prompt.…)`."""
    area, _, rest = code.partition(".")
    words = (rest or area).replace("_", " ")
    return f"{area.capitalize()}: {words} ({code})" if rest else f"{words.capitalize()} ({code})"


def page_style() -> None:
    """The console's own layout: the page's width used (less side padding, no width cap), so a 1280 px screen shows
    the case and its form side by side and a 1920 px one leaves no third empty."""
    st.html(
        "<style>.stMainBlockContainer{max-width:none;padding-left:2rem;padding-right:2rem;padding-top:2.5rem}</style>"
    )


def table(rows: pd.DataFrame | list[dict[str, Any]], where: DeltaGenerator | None = None) -> None:
    """A static table whose cells show as written. `st.table` renders every cell as Markdown, so each cell's
    display text is escaped (the data underneath stays as it is, for sorting and for tests that read it)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    shown = frame.style.format(plain)
    if where is None:
        st.table(shown)
    else:
        where.table(shown)
