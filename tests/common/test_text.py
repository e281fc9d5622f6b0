"""Search folding: what a school types finds what was written, ligatures too."""

from __future__ import annotations

import pytest

from services.common.text import fold, found_by


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


def test_a_list_is_searched_by_neph_start_or_a_piece_of_the_name():
    assert found_by("", "123456789012", "Zoé Lambert")
    assert found_by("1234", "123456789012", "Zoé Lambert")
    assert not found_by("2345", "123456789012", "Zoé Lambert")
    assert found_by("  ZOE lamb ", "123456789012", "Zoé Lambert")
    assert not found_by("Martin", "123456789012", "Zoé Lambert")
    assert not found_by("Zoé", "", "")  # an erased candidate: nothing to find
