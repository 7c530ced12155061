"""What the console asks of the reviewer's browser: the session cookie and the keyboard shortcuts.

The session token lives in one first-party cookie (`HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS, expiring
with the session), never in the URL, so it appears in no link, referrer, history entry or access log, no other
site's request carries it, and no script in the page can read it. The server sets and clears it (`cookie.py`); the
page only asks the browser to fetch that endpoint. A reload reads it back (`st.context.cookies`); logging out ends
the session on the server, so a copied cookie is worthless afterwards.

Shortcuts are single keys handled in the page. They are ignored while the reviewer types in a field (a note that
contains "r" must not reject the item) and when a modifier is held (the browser's own shortcuts keep working).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import streamlit as st

from review_ui.cookie import HANDOFFS, HEADER, SESSION_COOKIE, SESSION_PATH

# key → (widget key it presses, what it does): the page lists them, the script binds them.
SHORTCUTS: dict[str, tuple[str, str]] = {
    "a": ("outcome_approve", "approve (choose the outcome)"),
    "r": ("outcome_reject", "reject (choose the outcome)"),
    "n": ("next_item", "next item"),
    "u": ("unblur", "unblur / blur"),
    "g": ("grayscale", "grayscale on / off"),
}


def session_token() -> str | None:
    """The session token the browser sent with this page load, if any."""
    value = st.context.cookies.get(SESSION_COOKIE)
    return str(value) if value else None


def _script(body: str) -> None:
    st.html(f"<script>{body}</script>", unsafe_allow_javascript=True, width=1)


def keep_session(token: str, max_age_s: int) -> None:
    """Have the server set the session cookie until the session expires: the page carries a one-time code for
    it, never the token."""
    code = HANDOFFS.issue(token, max_age_s, st.context.ip_address)
    _fetch("POST", code)


def forget_session() -> None:
    """Have the server remove the session cookie (logout, expiry)."""
    _fetch("DELETE", "forget")


def _fetch(method: str, header: str) -> None:
    # Relative to the page (`/case`, `/queue`, …), all of which sit at the server's root beside the endpoint.
    request = {"method": method, "headers": {HEADER: header}, "credentials": "same-origin", "cache": "no-store"}
    _script(f"fetch('.' + {json.dumps(SESSION_PATH)}, {json.dumps(request)});")


def bind_shortcuts(bindings: Mapping[str, tuple[str, str]] = SHORTCUTS) -> None:
    """Bind single keys to the widgets with those keys on this page (buttons are clicked, checkboxes toggled)."""
    targets = {key: widget for key, (widget, _) in bindings.items()}
    _script("window.cameoguardShortcuts = " + json.dumps(targets) + ";" + _LISTENER)


# Installed once per page; each run replaces the key map above it.
_LISTENER = """
(function () {
  if (window.cameoguardShortcutsBound) return;
  window.cameoguardShortcutsBound = true;
  document.addEventListener('keydown', function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : '';
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (target && target.isContentEditable)) return;
    var widget = window.cameoguardShortcuts[event.key.toLowerCase()];
    if (!widget) return;
    var root = document.querySelector('.st-key-' + widget);
    if (!root) return;
    var control = root.querySelector('button') || root.querySelector('input') || root.querySelector('label');
    if (!control || control.disabled) return;
    event.preventDefault();
    control.click();
  });
})();
"""


def shortcut_legend(bindings: Mapping[str, tuple[str, str]] = SHORTCUTS) -> str:
    """The shortcuts as one line of Markdown."""
    return " · ".join(f"`{key}` {what}" for key, (_, what) in bindings.items())
