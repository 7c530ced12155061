"""Text normalisation shared by prompt rules and cameo restrictions. Pure.

Unicode compatibility forms, case folding, and every run of punctuation or separators collapsed to one space, so
`N.U.D.E`, `nude!!` and full-width letters compare the way a reader sees them.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w']+|_+")


def normalise_text(text: str) -> str:
    """Lower-case NFKC text with single spaces, padded with one space each side for whole-phrase search."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " " + " ".join(_NON_WORD.sub(" ", folded).split()) + " "


def fold_accents(text: str) -> str:
    """Normalised text without accents (`élection` reads as `election`, `niño` as `nino`): how French, Spanish,
    German, Portuguese and Italian words are compared with rule terms written with or without them."""
    decomposed = unicodedata.normalize("NFKD", normalise_text(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def contains_phrase(normalised: str, phrase: str) -> bool:
    """Whether the padded, normalised text contains `phrase` as whole words."""
    needle = normalise_text(phrase).strip()
    return bool(needle) and f" {needle} " in normalised
