"""Folding text for searches: no case, no accents, no punctuation."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """« Saint-Étienne » → « saint etienne »; « St » and « Ste » spelled out."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    return re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))
