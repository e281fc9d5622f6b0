"""Field rules of accounts (ID-1, ID-2, ID-5): each wrong field gets its message.

The same input policy as the gateway's (services.common.inputs), so an account
reached by RPC never holds what the gateway would refuse.
"""

from __future__ import annotations

import re
from typing import Any

from services.common import inputs
from services.common.validation import normalise_email as normalise_email
from services.common.validation import normalise_phone

CIVILITIES = {"M": "Monsieur", "MME": "Madame"}


def password_problems(password: Any) -> list[str]:
    """Every rule of ID-2 the password breaks, named."""
    try:
        password = inputs.PASSWORD.screen(password)
    except inputs.InputError as exc:
        return [str(exc)]
    problems = []
    if len(password) < 8:
        problems.append("Le mot de passe doit contenir au moins 8 caractères.")
    if not re.search(r"[a-z]", password):
        problems.append("Le mot de passe doit contenir au moins une lettre minuscule.")
    if not re.search(r"[A-Z]", password):
        problems.append("Le mot de passe doit contenir au moins une lettre majuscule.")
    if not re.search(r"[0-9]", password):
        problems.append("Le mot de passe doit contenir au moins un chiffre.")
    return problems


def normalise_siret(raw: Any) -> str | None:
    """14 ASCII digits with a valid key (La Poste's own rule included), or None."""
    try:
        return inputs.SIRET.clean(raw) or None
    except inputs.InputError:
        return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_profile(data: dict[str, Any], partial: bool = False) -> tuple[dict, dict]:
    """Clean the profile fields present; return (clean values, field errors)."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def present(name: str) -> bool:
        return not partial or name in data

    if present("civility"):
        if data.get("civility") in CIVILITIES:
            clean["civility"] = data["civility"]
        else:
            errors["civility"] = ["Choisissez « Monsieur » ou « Madame »."]
    for name, rule, label in (
        ("last_name", inputs.NAME, "Le nom"),
        ("first_name", inputs.NAME, "Le prénom"),
        ("company_name", inputs.COMPANY, "La raison sociale"),
    ):
        if present(name):
            value = inputs.clean_into(rule, data.get(name), name, errors)
            if value:
                clean[name] = value
            elif name not in errors:
                errors[name] = [f"{label} est obligatoire."]
    if present("phone"):
        typed = inputs.clean_into(inputs.PHONE, data.get("phone"), "phone", errors)
        phone = normalise_phone(typed) if typed else None
        if phone:
            clean["phone"] = phone
        elif "phone" not in errors:
            # A missing number is not a wrong one: say which.
            errors["phone"] = [
                "Le numéro de téléphone n'est pas valide."
                if typed
                else "Le numéro de téléphone est obligatoire."
            ]
    if present("siret"):
        siret = normalise_siret(data.get("siret"))
        if siret:
            clean["siret"] = siret
        elif _blank(data.get("siret")):
            errors["siret"] = ["Le SIRET est obligatoire."]
        else:
            errors["siret"] = [inputs.SIRET_MESSAGE]
    return clean, errors


def check_address(data: dict[str, Any]) -> tuple[dict, dict]:
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, rule, label in (
        ("street", inputs.STREET, "L'adresse est obligatoire."),
        ("postal_code", inputs.POSTAL_CODE, inputs.POSTAL_CODE_MESSAGE),
        ("city", inputs.CITY, "La ville est obligatoire."),
    ):
        key = f"address.{name}"
        value = inputs.clean_into(rule, address.get(name), key, errors)
        if value:
            clean[name] = value
        elif key not in errors:
            errors[key] = [label]
    return clean, errors


def check_sign_up(data: dict[str, Any]) -> tuple[dict, dict]:
    """All of ID-1's fields at once: clean values and every field's error."""
    errors: dict[str, list[str]] = {}
    email = inputs.clean_into(inputs.EMAIL, data.get("email"), "email", errors)
    if not email and "email" not in errors:
        errors["email"] = [inputs.EMAIL_MESSAGE]
    problems = password_problems(data.get("password") or "")
    if problems:
        errors["password"] = problems
    profile, profile_errors = check_profile(data)
    address, address_errors = check_address(data)
    errors.update(profile_errors)
    errors.update(address_errors)
    return {"email": email, "profile": profile, "address": address}, errors
