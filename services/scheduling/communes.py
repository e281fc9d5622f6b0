"""Where a town or a postal code is (SC-3), from the communes data set the
project ships (see scripts/build_communes.py for its sources and licences)."""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

from services.common.text import fold

DATA = Path(__file__).parent / "data" / "communes.csv.gz"


@dataclass(frozen=True)
class Place:
    insee: str
    name: str
    departement: str
    postal_codes: tuple[str, ...]
    population: int
    latitude: float
    longitude: float


@cache
def _index() -> tuple[dict[str, list[Place]], dict[str, list[Place]]]:
    by_postal_code: dict[str, list[Place]] = {}
    by_name: dict[str, list[Place]] = {}
    with gzip.open(DATA, "rt", encoding="utf-8") as data:
        for row in csv.DictReader(data, delimiter=";"):
            place = Place(
                insee=row["insee"],
                name=row["nom"],
                departement=row["departement"],
                postal_codes=tuple(row["codes_postaux"].split()),
                population=int(row["population"] or 0),
                latitude=float(row["lat"]),
                longitude=float(row["lon"]),
            )
            for code in place.postal_codes:
                by_postal_code.setdefault(code, []).append(place)
            by_name.setdefault(fold(place.name), []).append(place)
    return by_postal_code, by_name


def is_postal_code(query: str) -> bool:
    return re.fullmatch(r"\d{5}", query.strip()) is not None


def matching(query: str) -> list[Place]:
    """The places a postal code or a town name may mean, most populous first:
    several for a name many towns share (« Saint-Denis »)."""
    by_postal_code, by_name = _index()
    text = query.strip()
    if is_postal_code(text):
        found = by_postal_code.get(text)
        if not found and text[:2].isdigit():
            # A postal code of no commune of its own: its département's places.
            found = [
                p
                for code, ps in by_postal_code.items()
                if code[:3] == text[:3]
                for p in ps
            ]
    else:
        found = by_name.get(fold(text))
    return sorted(found or [], key=lambda p: -p.population)


def locate(query: str) -> Place | None:
    """A postal code or a town name; among homonyms, the most populous."""
    found = matching(query)
    return found[0] if found else None


# Where ISO 3166-2 names a département otherwise than the French use.
USUAL_NAMES = {"973": "Guyane"}  # ISO: « Guyane (française) »


def departement_name(code: str) -> str:
    """« 93 » → « Seine-Saint-Denis », « 974 » → « La Réunion » (ISO 3166-2:FR;
    Paris is a collectivity with a special status there, « 75C »)."""
    if code in USUAL_NAMES:
        return USUAL_NAMES[code]
    for iso in (f"FR-{code}", f"FR-{code}C"):
        subdivision = pycountry.subdivisions.get(code=iso)
        if subdivision is not None:
            return subdivision.name
    return code


def largest_places(count: int) -> list[Place]:
    """The most populous communes, for demo data: some in every département."""
    _, by_name = _index()
    places = sorted(
        {p for ps in by_name.values() for p in ps}, key=lambda p: -p.population
    )
    return places[:count]
