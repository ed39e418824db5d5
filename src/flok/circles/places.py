"""Place names as people type them: one key per place, and look-alike spellings reported.

Survey answers name one place in several ways: "San Francisco-Peninsula", "San Francisco –
Peninsula" (an en dash with spaces), "San Francisco - Peninsula." (a trailing full stop). Those
differ only in dashes, spacing, case or a final full stop, so they get one key and are one place.
Anything else that merely *looks* alike ("Peninsula" and "Pennisula") is not merged, because a
guess could put people in a place they did not choose; it is reported so a person can decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign.
_DASH = re.compile(r"\s*[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]\s*")
_MAX_COMPARED = 3000  # look-alike search is quadratic; a survey has a few hundred places at most


def location_key(text: str) -> str:
    """The key of a place name: case, spacing, dash style and a trailing full stop ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_DASH.sub("-", folded).split()).rstrip(" .")


def display_name(text: str) -> str:
    """A place name as written, with runs of spaces and a trailing full stop removed."""
    return " ".join(text.split()).rstrip(" .")


def canonical(spellings: dict[str, str], text: str) -> str:
    """The first spelling seen of a name that differs only as :func:`location_key` ignores."""
    return spellings.setdefault(location_key(text), display_name(text))


def look_alikes(names: Mapping[str, str], counts: Counter[str], what: str) -> list[str]:
    """Warnings for pairs of different keys that are one typing slip apart, or equal once
    punctuation is dropped ("San Francisco Peninsula" and "San Francisco-Peninsula")."""
    keys = sorted(names)
    if len(keys) > _MAX_COMPARED:
        return []
    squashed = {k: "".join(ch for ch in k if ch.isalnum()) for k in keys}
    out = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if squashed[a] == squashed[b] or _one_slip(a, b):
                out.append(
                    f"{what} '{names[a]}' ({counts[a]}) and '{names[b]}' ({counts[b]}) look alike but are "
                    "read as different places; write them the same way if they are one"
                )
    return out


def _one_slip(a: str, b: str) -> bool:
    """One letter changed, added, dropped or two swapped, inside a word of at least 6 letters.

    A change at a word's first letter ("Eastside"/"Westside") or in digits ("Zone 1"/"Zone 2")
    usually names another place on purpose, so it is not called a slip.
    """
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1 or len(a) < 6:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if i == len(a) and len(a) == len(b):
        return False
    if len(a) == len(b):
        same_rest = a[i + 1 :] == b[i + 1 :]
        swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        if not (same_rest or swapped):
            return False
        changed = {a[i], b[i]}
    else:
        if a[i:] != b[i + 1 :]:
            return False
        changed = {b[i]}
    at_word_start = i == 0 or not b[i - 1].isalnum()
    return not at_word_start and all(ch.isalpha() for ch in changed) and len(_word_at(b, i)) >= 6


def _word_at(text: str, i: int) -> str:
    start = i
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    end = i
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]
