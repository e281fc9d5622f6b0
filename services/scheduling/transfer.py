"""Bulk creation of centres and sessions from CSV by the back office (SC-1, SC-2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.common import inputs
from services.common.calendar import UnknownDepartement, departement_of
from services.common.csvfiles import CsvError, read_rows
from services.scheduling import communes
from services.scheduling.domain import PARIS, ExamCentre, SchedulingError

CENTRE_COLUMNS = ("code", "nom", "adresse", "code_postal", "ville")
SESSION_COLUMNS = ("centre", "debut", "places", "type")
TRUE = {"oui", "o", "1", "true", "vrai", "x"}
# Every cell as the input policy has it: which rule, whether it must be there.
CENTRE_CELLS = {
    "code": (inputs.CENTRE_CODE, True),
    "nom": (inputs.PLACE_NAME, True),
    "adresse": (inputs.PLACE_NAME, True),
    "code_postal": (inputs.POSTAL_CODE, True),
    "ville": (inputs.CITY, True),
    "latitude": (inputs.COORDINATE, False),
    "longitude": (inputs.COORDINATE, False),
    "pmr": (inputs.FLAG, False),
    "horaires": (inputs.OPENING_HOURS, False),
}
SESSION_CELLS = {
    "centre": (inputs.CENTRE_CODE, True),
    "debut": (inputs.Rule(16), True),
    "duree": (inputs.Rule(4), False),
    "places": (inputs.Rule(4), True),
    "type": (inputs.Rule(20), True),
}
START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}", re.ASCII)


def _rows(text: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        return read_rows(text, required)
    except CsvError as exc:
        raise SchedulingError(str(exc), {"csv": [str(exc)]}) from None


def _cells(
    row: dict[str, Any], rules: dict[str, tuple[inputs.Rule, bool]]
) -> dict[str, str]:
    clean, errors = inputs.check_fields(row, rules)
    if errors:
        raise SchedulingError("Certaines cellules sont incorrectes.", errors)
    return clean


def _each(
    text: str,
    required: tuple[str, ...],
    cells: dict[str, tuple[inputs.Rule, bool]],
    create: Callable[[dict], Any],
) -> dict:
    created, failed = 0, []
    for line, row in enumerate(_rows(text, required), start=2):
        if not any(isinstance(v, str) and v.strip() for k, v in row.items() if k):
            continue
        try:
            create(_cells(row, cells))
        except (SchedulingError, ValueError, LookupError) as exc:
            errors = getattr(exc, "fields", None) or {"_": [str(exc)]}
            failed.append({"line": line, "errors": errors})
        else:
            created += 1
    return {"created": created, "failed": failed}


def _coordinate(value: str, limit: int, name: str) -> float:
    number = float(value.replace(",", "."))
    if not -limit <= number <= limit:
        raise SchedulingError(
            "Coordonnée invalide", {name: [f"Entre -{limit} et {limit} degrés."]}
        )
    return number


def centre_fields(row: dict[str, str]) -> dict[str, Any]:
    try:
        departement = departement_of(row["code_postal"])
    except UnknownDepartement as exc:
        raise SchedulingError(str(exc), {"code_postal": [str(exc)]}) from None
    if row.get("latitude") and row.get("longitude"):
        latitude = _coordinate(row["latitude"], 90, "latitude")
        longitude = _coordinate(row["longitude"], 180, "longitude")
    else:
        place = communes.locate(row["code_postal"]) or communes.locate(row["ville"])
        if place is None:
            raise SchedulingError("Commune inconnue", {"ville": ["Commune inconnue."]})
        latitude, longitude = place.latitude, place.longitude
    if not (row["code"] and row["nom"] and row["adresse"] and row["ville"]):
        raise SchedulingError(
            "Champs obligatoires manquants : code, nom, adresse, ville"
        )
    return {
        "code": row["code"],
        "name": row["nom"],
        "address": row["adresse"],
        "postal_code": row["code_postal"],
        "city": row["ville"],
        "departement": departement,
        "latitude": latitude,
        "longitude": longitude,
        "pmr": row.get("pmr", "").lower() in TRUE,
        "opening_hours": row.get("horaires", ""),
    }


def _number(row: dict[str, str], name: str, default: str, low: int, high: int) -> int:
    try:
        return inputs.whole_number(row.get(name) or default, low, high)
    except inputs.InputError as exc:
        raise SchedulingError("Nombre invalide", {name: [str(exc)]}) from None


def session_fields(row: dict[str, str]) -> dict[str, Any]:
    try:
        # strptime's %Y reads full-width digits too: the pattern comes first.
        if not START.fullmatch(row["debut"]):
            raise ValueError(row["debut"])
        starts = datetime.strptime(row["debut"], "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)
    except ValueError:
        raise SchedulingError(
            "Début invalide", {"debut": ["Format attendu : AAAA-MM-JJ HH:MM."]}
        ) from None
    seats = _number(row, "places", "", 1, 1000)
    duration = _number(row, "duree", "60", 10, 600)
    return {
        "centre_id": ExamCentre.create_id(row["centre"]),
        "starts_at": starts,
        "seats": seats,
        "kind": row["type"].lower(),
        "duration_minutes": duration,
    }


def import_centres(text: str, register: Callable[[dict], Any]) -> dict:
    return _each(
        text,
        CENTRE_COLUMNS,
        CENTRE_CELLS,
        lambda row: register(centre_fields(row)),
    )


def import_sessions(text: str, schedule: Callable[..., Any]) -> dict:
    return _each(
        text,
        SESSION_COLUMNS,
        SESSION_CELLS,
        lambda row: schedule(**session_fields(row)),
    )
