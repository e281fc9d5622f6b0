"""Search folding: what a school types finds what was written, ligatures too."""

from __future__ import annotations

import pytest

from services.common.text import fold


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("coeur", "Cœur"),
        ("Lætitia", "Laetitia"),
        ("saint etienne", "Saint-Étienne"),
        ("ste marie", "Sainte-Marie"),
        ("st denis", "Saint-Denis"),
        ("oeuvre", "ŒUVRE"),
    ],
)
def test_what_is_typed_finds_what_is_written(typed: str, written: str):
    assert fold(typed) == fold(written)


def test_ligatures_are_spelled_out_not_dropped():
    assert fold("Cœur-de-Lion") == "coeur de lion"
