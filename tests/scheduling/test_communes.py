"""Départements named as the pages show them when asking « which town? »."""

from __future__ import annotations

import pytest

from services.scheduling.communes import departement_name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("93", "Seine-Saint-Denis"),
        ("974", "La Réunion"),
        ("973", "Guyane"),
        ("2A", "Corse-du-Sud"),
        ("75", "Paris"),
    ],
)
def test_a_departement_has_the_name_people_use(code: str, name: str) -> None:
    assert departement_name(code) == name
