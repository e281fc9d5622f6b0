"""Field rules and eligibility of a candidate file (CA-1, CA-2).

The same input policy as the gateway's (services.common.inputs): a file reached
by RPC or by a CSV line never holds what the gateway would refuse, so no event
of this service carries a NUL, an invisible character or an over-long value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.candidates.domain import MINIMUM_AGE, age_on
from services.common import inputs
from services.common.validation import normalise_phone

CIVILITIES = ("M", "MME")
CONTACT_FIELDS = ("email", "address", "phone")
ADDRESS = {
    "street": inputs.STREET,
    "postal_code": inputs.POSTAL_CODE,
    "city": inputs.CITY,
}
ADDRESS_REQUIRED = {
    "street": "L'adresse est obligatoire",
    "postal_code": "Le code postal doit comporter 5 chiffres",
    "city": "La ville est obligatoire",
}


def parse_birth_date(raw: Any) -> date | None:
    """ISO (AAAA-MM-JJ) or French (JJ/MM/AAAA) dates, as schools type them."""
    try:
        return inputs.birth_date(raw)
    except inputs.InputError:
        return None


def _address(
    data: dict[str, Any], email_given: bool, errors: dict[str, list[str]]
) -> dict[str, str] | None:
    address = data.get("address")
    if address is not None and not isinstance(address, dict):
        errors["address"] = ["Un objet est attendu (street, postal_code, city)."]
        return None
    address = address or {}
    typed: dict[str, str] = {}
    bad: dict[str, list[str]] = {}
    for name, rule in ADDRESS.items():
        typed[name] = inputs.clean_into(rule, address.get(name), f"address.{name}", bad)
    if not (any(typed.values()) or bad) and email_given:
        return None
    # Without an e-mail everything goes by post: the address is mandatory.
    reason = "" if email_given else " (obligatoire sans adresse e-mail)"
    for name, message in ADDRESS_REQUIRED.items():
        key = f"address.{name}"
        if not typed[name] and key not in bad:
            bad[key] = [f"{message}{reason}."]
    errors.update(bad)
    return typed


def check_contact(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """E-mail and/or postal address (one at least), phone optional."""
    clean: dict[str, Any] = {"email": None, "address": None, "phone": None}
    errors: dict[str, list[str]] = {}
    email = inputs.clean_into(inputs.EMAIL, data.get("email"), "email", errors)
    clean["email"] = email or None
    # A mistyped address is still an e-mail given: the postal one stays optional.
    clean["address"] = _address(data, bool(email) or "email" in errors, errors)
    phone = inputs.clean_into(inputs.PHONE, data.get("phone"), "phone", errors)
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
    neph = inputs.clean_into(inputs.NEPH, data.get("neph"), "neph", errors)
    if not neph and "neph" not in errors:
        errors["neph"] = [inputs.NEPH_MESSAGE]
    civility = inputs.clean_into(
        inputs.CIVILITY, data.get("civility"), "civility", errors
    )
    civility = civility.upper()
    if civility not in CIVILITIES:
        errors["civility"] = ["Choisissez « Monsieur » ou « Madame »."]
    birth_name = inputs.clean_into(
        inputs.NAME, data.get("birth_name"), "birth_name", errors
    )
    if not birth_name and "birth_name" not in errors:
        errors["birth_name"] = ["Le nom de naissance est obligatoire."]
    usage_name = inputs.clean_into(
        inputs.NAME, data.get("usage_name"), "usage_name", errors
    )
    given_names = inputs.clean_into(
        inputs.GIVEN_NAMES, data.get("given_names"), "given_names", errors
    )
    if not given_names and "given_names" not in errors:
        errors["given_names"] = ["Le ou les prénoms sont obligatoires."]
    birth_date = None
    try:
        birth_date = inputs.birth_date(data.get("birth_date"))
    except inputs.InputError as exc:
        errors["birth_date"] = [str(exc)]
    if birth_date is not None and birth_date > today:
        errors["birth_date"] = ["La date de naissance ne peut pas être dans le futur."]
    elif birth_date is not None and age_on(birth_date, today) < MINIMUM_AGE:
        errors["birth_date"] = [
            f"Le candidat doit avoir au moins {MINIMUM_AGE} ans le jour du dépôt "
            "du dossier."
        ]
    contact, contact_errors = check_contact(data)
    errors.update(contact_errors)
    personal = {
        "civility": civility,
        "birth_name": birth_name,
        "usage_name": usage_name or None,
        "given_names": given_names,
        "birth_date": birth_date.isoformat() if birth_date else None,
        **contact,
    }
    return {"neph": neph, "personal": personal}, errors
