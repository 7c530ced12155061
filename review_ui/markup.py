"""Text for the page: creator text shown as written, and links between the console's pages.

Creator text (prompts, reports, appeals, transcripts, handles) must never become markup in the reviewer's browser:
an image or a link of the creator's choosing would make the browser call a host the creator picked.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

_MARKDOWN_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def plain(text: object) -> str:
    """User text (prompts, reports, appeals, messages) for Markdown, shown as written: every ASCII punctuation mark
    is escaped, so `![x](http://host/a.png)` is text, not an image the reviewer's browser would fetch."""
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in str(text)).replace("\n", "  \n")


def link(path: str, label: str, **params: str) -> str:
    """An HTML link to one of the console's pages, its label and query escaped."""
    query = html.escape(urlencode(params), quote=True)
    return f'<a href="./{path}?{query}" target="_self">{html.escape(label)}</a>'
