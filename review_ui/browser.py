"""What the console asks of the reviewer's browser: the session cookie and the keyboard shortcuts.

The session token lives in one first-party cookie (`HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS, expiring
with the session), never in the URL, so it appears in no link, referrer, history entry or access log, no other
site's request carries it, and no script in the page can read it. The server sets and clears it (`cookie.py`); the
page only asks the browser to fetch that endpoint. A reload reads it back (`st.context.cookies`); logging out ends
the session on the server, so a copied cookie is worthless afterwards.

Shortcuts are single keys handled in the page. They are ignored while the reviewer types in a field (a note that
contains "r" must not reject the item) and when a modifier is held (the browser's own shortcuts keep working).
Choosing an outcome puts the focus in the reason picker; Enter outside a field (the picker closed) submits the
decision, and Ctrl+Enter in the note does too (Streamlit's own form key). A decision submitted with its button or
Enter waits `UNDO_S` seconds with an Undo (Esc) before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import streamlit as st

from review_ui.cookie import HANDOFFS, HEADER, SESSION_COOKIE, SESSION_PATH

# key → (widget key it presses, what it does): the page lists them, the script binds them.
SHORTCUTS: dict[str, tuple[str, str]] = {
    "a": ("outcome_approve", "approve (choose the outcome)"),
    "r": ("outcome_reject", "reject (choose the outcome)"),
    "h": ("outcome_uphold", "uphold an appeal"),
    "o": ("outcome_overturn", "overturn an appeal"),
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


def bind_shortcuts(
    bindings: Mapping[str, tuple[str, str]] = SHORTCUTS, *, submit: str | None = None, focus: str | None = None
) -> None:
    """Bind single keys to the widgets with those keys on this page (buttons are clicked, checkboxes toggled);
    Enter presses the button labelled `submit`, and the widget keyed `focus` takes the focus once (the reason
    picker after an outcome is chosen)."""
    targets = {key: widget for key, (widget, _) in bindings.items()}
    setup = {"keys": targets, "submit": submit, "focus": focus}
    listener = _LISTENER.replace("UNDO_MS", str(UNDO_S * 1000))
    _script("window.cameoguardShortcuts = " + json.dumps(setup) + ";" + listener + _FOCUS)


def lease_countdown(until: datetime, seconds_left: int, warn_before_s: int) -> None:
    """The time left on the reviewer's lease, counting down in the page, turning to a warning shortly before it runs
    out. Counted from the seconds the server says are left (the reviewer's clock may be wrong); `until` makes each
    renewal a new element, so the count restarts."""
    stamp = until.strftime("%H:%M:%S UTC")
    body = (
        f'<div id="lease-left" data-left="{seconds_left}" data-warn="{warn_before_s}" data-until="{stamp}" '
        f'aria-live="polite" style="font-size:0.9em">Lease: {seconds_left // 60} min left (until {stamp})</div>'
    )
    st.html(body + f"<script>{_COUNTDOWN}</script>", unsafe_allow_javascript=True)


# Seconds a decision waits, with an Undo, before it is sent (nothing is decided if the page closes meanwhile).
UNDO_S = 3

# Installed once per page; each run replaces the key map above it. A click on the submit button (or Enter) is held
# back for UNDO_S seconds with an Undo (or Esc) and then sent; the capture phase sees it before Streamlit does.
_LISTENER = """
(function () {
  if (window.cameoguardShortcutsBound) return;
  window.cameoguardShortcutsBound = true;
  function isSubmit(node) {
    var button = node && node.closest ? node.closest('button') : null;
    var setup = window.cameoguardShortcuts;
    return button && setup && setup.submit && button.innerText.trim() === setup.submit ? button : null;
  }
  function hold(button) {
    if (window.cameoguardPending) return;
    var toast = document.createElement('div');
    toast.id = 'decision-undo';
    toast.setAttribute('role', 'status');
    toast.style.cssText = 'position:fixed;bottom:16px;right:16px;z-index:100000;background:#212529;color:#fff;' +
      'padding:10px 14px;border-radius:6px;font-size:0.9em';
    toast.textContent = 'Deciding in a few seconds. ';
    var undo = document.createElement('button');
    undo.type = 'button';
    undo.textContent = 'Undo (Esc)';
    toast.appendChild(undo);
    document.body.appendChild(toast);
    function finish() { clearTimeout(timer); toast.remove(); window.cameoguardPending = null; }
    var timer = setTimeout(function () {
      finish();
      window.cameoguardSending = true;
      button.click();
      window.cameoguardSending = false;
    }, UNDO_MS);
    undo.addEventListener('click', finish);
    window.cameoguardPending = finish;
  }
  document.addEventListener('click', function (event) {
    var button = isSubmit(event.target);
    if (!button || window.cameoguardSending || button.disabled) return;
    event.preventDefault();
    event.stopPropagation();
    hold(button);
  }, true);
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && window.cameoguardPending) {
      // Only the undo: the picker must not also take Esc as "clear my choice".
      event.preventDefault();
      event.stopPropagation();
      window.cameoguardPending();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : '';
    var setup = window.cameoguardShortcuts;
    if (event.key === 'Enter') {
      // Not in the note, not while the picker's list is open (Enter picks there), not in any other field.
      if (tag === 'textarea' || (target && target.getAttribute('aria-expanded') === 'true')) return;
      var picker = setup.focus && document.querySelector('.st-key-' + setup.focus);
      if ((tag === 'input' || tag === 'select') && !(picker && picker.contains(target))) return;
      var live = document.querySelectorAll('button:not([data-stale="true"] *)');
      var submit = setup.submit && [...live].find(function (b) {
        return b.innerText.trim() === setup.submit;
      });
      if (submit && !submit.disabled) { event.preventDefault(); submit.click(); }
      return;
    }
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || (target && target.isContentEditable)) return;
    var widget = setup.keys[event.key.toLowerCase()];
    if (!widget) return;
    // The live copy: during a rerun Streamlit keeps the old elements on screen, faded and marked stale, and a
    // click on one of those is lost.
    var root = document.querySelector('.st-key-' + widget + ':not([data-stale="true"] *)') ||
      document.querySelector('.st-key-' + widget);
    if (!root) return;
    // A checkbox's own input first: its help icon is a button too.
    var control = root.querySelector('input[type=checkbox]') || root.querySelector('button') ||
      root.querySelector('input') || root.querySelector('label');
    if (!control || control.disabled) return;
    event.preventDefault();
    control.click();
  }, true);
})();
"""

# Runs on every page run: focuses the widget named once (the picker may render a moment after this script).
_FOCUS = """
(function () {
  var wanted = window.cameoguardShortcuts.focus;
  if (!wanted || window.cameoguardFocused === wanted) return;
  window.cameoguardFocused = wanted;
  var tries = 0;
  var timer = setInterval(function () {
    // Never take the focus from a field the reviewer went to meanwhile (the note).
    var active = document.activeElement;
    var tag = active && active.tagName ? active.tagName.toLowerCase() : '';
    if (tag === 'textarea' || tag === 'input') { clearInterval(timer); return; }
    var field = document.querySelector('.st-key-' + wanted + ' input');
    if (field) { field.focus(); clearInterval(timer); }
    if (++tries > 40) clearInterval(timer);
  }, 50);
})();
"""

_COUNTDOWN = """
(function () {
  var el = document.getElementById('lease-left');
  if (!el) return;
  el.dataset.deadline = String(Date.now() + Number(el.dataset.left) * 1000);
  clearInterval(window.cameoguardLeaseTimer);
  function tick() {
    var shown = document.getElementById('lease-left');
    if (!shown) { clearInterval(window.cameoguardLeaseTimer); return; }
    var left = Math.round((Number(shown.dataset.deadline) - Date.now()) / 1000);
    if (left <= 0) {
      shown.textContent = 'Your lease has run out: anyone may claim this item now. Claim it again to decide it.';
      shown.style.color = '#c92a2a';
      shown.setAttribute('role', 'alert');
      return;
    }
    var text = 'Lease: ' + Math.floor(left / 60) + ' min ' + String(left % 60).padStart(2, '0') + ' s left';
    if (left <= Number(shown.dataset.warn)) {
      text += ': it runs out soon. Any action on this case renews it.';
      shown.style.color = '#e67700';
      shown.setAttribute('role', 'alert');
    }
    shown.textContent = text;
  }
  tick();
  window.cameoguardLeaseTimer = setInterval(tick, 1000);
})();
"""


def shortcut_legend(bindings: Mapping[str, tuple[str, str]] = SHORTCUTS) -> str:
    """The shortcuts as one line of Markdown."""
    return " · ".join(f"`{key}` {what}" for key, (_, what) in bindings.items())
