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
