"""Handles and prompts as stored: the canonical form of what users type, refusing what could impersonate or break.

Pure text rules; every use case normalises what it is given through here before it touches a store.
"""

from __future__ import annotations

import unicodedata

from safety.errors import SubmissionError

HANDLE_MAX_CHARS = 32
PROMPT_MAX_CHARS = 10_000


def normalise_handle(handle: str) -> str:
    """The canonical form of a handle; refuses what could impersonate or break things."""
    text = unicodedata.normalize("NFKC", handle).strip().casefold()
    if not text or len(text) > HANDLE_MAX_CHARS:
        raise SubmissionError(f"a handle has 1 to {HANDLE_MAX_CHARS} characters, got {len(text)}")
    if not all(ch.isascii() and (ch.isalnum() or ch in "_.-") for ch in text):
        raise SubmissionError(f"handle `{handle}` may use only ASCII letters, digits, `_`, `.` and `-`")
    return text


def clean_prompt(text: str) -> str:
    """The prompt as stored: valid Unicode, control characters (other than newlines and tabs) removed."""
    if len(text) > PROMPT_MAX_CHARS:
        raise SubmissionError(f"a prompt has at most {PROMPT_MAX_CHARS} characters, got {len(text)}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SubmissionError("the prompt is not valid Unicode text") from None
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
