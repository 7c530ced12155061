"""Undoing the tricks people use to slip words past filters. Pure.

Zero-width and control characters are dropped; look-alike letters from other scripts (Cyrillic, Greek) are
mapped to Latin inside words that are otherwise Latin or made only of look-alikes (real Russian or Greek words are
left alone); leetspeak digits and symbols inside words become letters; letters spelled out with spaces or
dots (`n u d e`, `n.u.d.e`) are joined; runs of one letter are shortened. The result is for matching only.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwabekmhopctxijsabeiknoptuxabezhikmnoptyx",
)
# A word made only of Latin letters and look-alikes from other scripts is a disguise ("nudе" with a Cyrillic е,
# "ѕех" all Cyrillic); a word with any other letter of those scripts is Russian or Greek, and is left as written.
_LOOKALIKES = "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"
_LOOKALIKE_WORD = re.compile(rf"\b(?=\w*[{_LOOKALIKES}])[A-Za-z{_LOOKALIKES}]+\b")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])[\w@$!]*[0134579@$!][\w@$!]*\b")
_SPELLED = re.compile(r"\b(?:[a-z][\s.\-_*]){2,}[a-z]\b")
_REPEATS = re.compile(r"([a-z])\1{2,}")


def deobfuscate(text: str) -> str:
    """A plain lower-case reading of `text` for classifiers and phrase rules."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    folded = "".join(ch for ch in folded if unicodedata.category(ch)[0] != "C" or ch in "\n\t ")
    folded = _LOOKALIKE_WORD.sub(lambda m: m.group(0).translate(_HOMOGLYPHS), folded).casefold()
    folded = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), folded)
    folded = _SPELLED.sub(lambda m: re.sub(r"[\s.\-_*]", "", m.group(0)), folded)
    return _REPEATS.sub(r"\1\1", folded)
