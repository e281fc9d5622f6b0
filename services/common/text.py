"""Folding text for searches: no case, no accents, no ligatures, no punctuation."""

from __future__ import annotations

import re

from anyascii import anyascii


def fold(text: str) -> str:
    """« Saint-Étienne » → « saint etienne », « Cœur » → « coeur »; « St » and
    « Ste » spelled out. anyascii transliterates what NFKD alone would drop
    (œ, æ, ß, ø…)."""
    text = re.sub(r"[^a-z0-9]+", " ", anyascii(text).lower()).strip()
    return re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))


def found_by(search: str, neph: str | None, name: str | None) -> bool:
    """BO-5's search of a school's list: the first digits of a NEPH, or a
    piece of the name, case, accents and punctuation aside (an empty search
    finds everything). Names are sealed in the stores: lists are searched
    once opened."""
    needle = search.strip()
    if not needle:
        return True
    folded = fold(needle)
    return bool((neph or "").startswith(needle)) or bool(
        folded and folded in fold(name or "")
    )
