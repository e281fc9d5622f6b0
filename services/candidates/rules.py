"""Field rules and eligibility of a candidate file (CA-1, CA-2)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from services.candidates.domain import MINIMUM_AGE, age_on
from services.common.validation import (
    EMAIL,
    POSTAL_CODE,
    normalise_email,
    normalise_phone,
)

NEPH = re.compile(r"^\d{12}$")
CIVILITIES = ("M", "MME")
CONTACT_FIELDS = ("email", "address", "phone")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_birth_date(raw: Any) -> date | None:
    """ISO (AAAA-MM-JJ) or French (JJ/MM/AAAA) dates, as schools type them."""
    text = _text(raw)
    for pattern, order in (
        (r"^(\d{4})-(\d{2})-(\d{2})$", "ymd"),
        (r"^(\d{2})/(\d{2})/(\d{4})$", "dmy"),
    ):
        match = re.match(pattern, text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def check_contact(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """E-mail and/or postal address (one at least), phone optional."""
    clean: dict[str, Any] = {"email": None, "address": None, "phone": None}
    errors: dict[str, list[str]] = {}
    email = normalise_email(_text(data.get("email")))
    if email:
        if EMAIL.match(email):
            clean["email"] = email
        else:
            errors["email"] = ["L'adresse e-mail n'est pas valide."]
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    typed = {k: _text(address.get(k)) for k in ("street", "postal_code", "city")}
    if any(typed.values()) or not email:
        # Without an e-mail everything goes by post: the address is mandatory.
        reason = "" if email else " (obligatoire sans adresse e-mail)"
        if not typed["street"]:
            errors["address.street"] = [f"L'adresse est obligatoire{reason}."]
        if not POSTAL_CODE.match(typed["postal_code"]):
            errors["address.postal_code"] = [
                f"Le code postal doit comporter 5 chiffres{reason}."
            ]
        if not typed["city"]:
            errors["address.city"] = [f"La ville est obligatoire{reason}."]
        clean["address"] = typed
    phone = _text(data.get("phone"))
    if phone:
        normalised = normalise_phone(phone)
        if normalised:
            clean["phone"] = normalised
        else:
            errors["phone"] = ["Le numéro de téléphone n'est pas valide."]
    return clean, errors


def check_new_file(
    data: dict[str, Any], today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every field of CA-1 and the age rule of CA-2, all reported at once."""
    errors: dict[str, list[str]] = {}
    neph = _text(data.get("neph")).replace(" ", "")
    if not NEPH.match(neph):
        errors["neph"] = ["Le NEPH doit comporter exactement 12 chiffres."]
    civility = _text(data.get("civility")).upper()
    if civility not in CIVILITIES:
        errors["civility"] = ["Choisissez « Monsieur » ou « Madame »."]
    birth_name = _text(data.get("birth_name"))
    if not birth_name:
        errors["birth_name"] = ["Le nom de naissance est obligatoire."]
    given_names = _text(data.get("given_names"))
    if not given_names:
        errors["given_names"] = ["Le ou les prénoms sont obligatoires."]
    birth_date = parse_birth_date(data.get("birth_date"))
    if birth_date is None:
        errors["birth_date"] = ["La date de naissance doit être au format JJ/MM/AAAA."]
    elif birth_date > today:
        errors["birth_date"] = ["La date de naissance ne peut pas être dans le futur."]
    elif age_on(birth_date, today) < MINIMUM_AGE:
        errors["birth_date"] = [
            f"Le candidat doit avoir au moins {MINIMUM_AGE} ans le jour du dépôt "
            "du dossier."
        ]
    contact, contact_errors = check_contact(data)
    errors.update(contact_errors)
    personal = {
        "civility": civility,
        "birth_name": birth_name,
        "usage_name": _text(data.get("usage_name")) or None,
        "given_names": given_names,
        "birth_date": birth_date.isoformat() if birth_date else None,
        **contact,
    }
    return {"neph": neph, "personal": personal}, errors
