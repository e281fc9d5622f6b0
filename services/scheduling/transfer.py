"""Bulk creation of centres and sessions from CSV by the back office (SC-1, SC-2)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.common.calendar import UnknownDepartement, departement_of
from services.common.csvfiles import MissingColumns, read_rows
from services.scheduling import communes
from services.scheduling.domain import PARIS, ExamCentre, SchedulingError

CENTRE_COLUMNS = ("code", "nom", "adresse", "code_postal", "ville")
SESSION_COLUMNS = ("centre", "debut", "places", "type")
TRUE = {"oui", "o", "1", "true", "vrai", "x"}


def _rows(text: str, required: tuple[str, ...]) -> csv.DictReader:
    try:
        return read_rows(text, required)
    except MissingColumns as exc:
        raise SchedulingError(str(exc), {"csv": [str(exc)]}) from None


def _each(text: str, required: tuple[str, ...], create: Callable[[dict], Any]) -> dict:
    created, failed = 0, []
    for line, row in enumerate(_rows(text, required), start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        try:
            create(row)
        except (SchedulingError, ValueError, LookupError) as exc:
            errors = getattr(exc, "fields", None) or {"_": [str(exc)]}
            failed.append({"line": line, "errors": errors})
        else:
            created += 1
    return {"created": created, "failed": failed}


def centre_fields(row: dict[str, str]) -> dict[str, Any]:
    try:
        departement = departement_of(row["code_postal"])
    except UnknownDepartement as exc:
        raise SchedulingError(str(exc), {"code_postal": [str(exc)]}) from None
    if row.get("latitude") and row.get("longitude"):
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
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


def session_fields(row: dict[str, str]) -> dict[str, Any]:
    try:
        starts = datetime.strptime(row["debut"], "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)
    except ValueError:
        raise SchedulingError(
            "Début invalide", {"debut": ["Format attendu : AAAA-MM-JJ HH:MM."]}
        ) from None
    try:
        seats = int(row["places"])
        duration = int(row.get("duree") or 60)
    except ValueError:
        raise SchedulingError(
            "Nombre invalide", {"places": ["Nombre entier."]}
        ) from None
    return {
        "centre_id": ExamCentre.create_id(row["centre"]),
        "starts_at": starts,
        "seats": seats,
        "kind": row["type"].lower(),
        "duration_minutes": duration,
    }


def import_centres(text: str, register: Callable[[dict], Any]) -> dict:
    return _each(text, CENTRE_COLUMNS, lambda row: register(centre_fields(row)))


def import_sessions(text: str, schedule: Callable[..., Any]) -> dict:
    return _each(text, SESSION_COLUMNS, lambda row: schedule(**session_fields(row)))
