"""Field rules of accounts (ID-1, ID-2, ID-5): each wrong field gets its message."""

from __future__ import annotations

import re
from typing import Any

from stdnum.fr import siret as stdnum_siret

from services.common.validation import (
    EMAIL,
    POSTAL_CODE,
    normalise_email,
    normalise_phone,
)

CIVILITIES = {"M": "Monsieur", "MME": "Madame"}


def password_problems(password: str) -> list[str]:
    """Every rule of ID-2 the password breaks, named."""
    problems = []
    if len(password) < 8:
        problems.append("Le mot de passe doit contenir au moins 8 caractères.")
    if not re.search(r"[a-z]", password):
        problems.append("Le mot de passe doit contenir au moins une lettre minuscule.")
    if not re.search(r"[A-Z]", password):
        problems.append("Le mot de passe doit contenir au moins une lettre majuscule.")
    if not re.search(r"\d", password):
        problems.append("Le mot de passe doit contenir au moins un chiffre.")
    return problems


def normalise_siret(raw: str) -> str | None:
    """14 digits with a valid check (La Poste's own rule included), or None."""
    compact = stdnum_siret.compact(raw)
    return compact if stdnum_siret.is_valid(compact) else None


def _required(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


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
    for name, label in (
        ("last_name", "Le nom"),
        ("first_name", "Le prénom"),
        ("company_name", "La raison sociale"),
    ):
        if present(name):
            if _required(data.get(name)):
                clean[name] = data[name].strip()
            else:
                errors[name] = [f"{label} est obligatoire."]
    if present("phone"):
        phone = normalise_phone(str(data.get("phone") or ""))
        if phone:
            clean["phone"] = phone
        else:
            errors["phone"] = ["Le numéro de téléphone n'est pas valide."]
    if present("siret"):
        siret = normalise_siret(str(data.get("siret") or ""))
        if siret:
            clean["siret"] = siret
        else:
            errors["siret"] = [
                "Le SIRET doit comporter 14 chiffres et être valide "
                "(clé de contrôle incorrecte)."
            ]
    return clean, errors


def check_address(data: dict[str, Any]) -> tuple[dict, dict]:
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, label in (("street", "L'adresse"), ("city", "La ville")):
        if _required(address.get(name)):
            clean[name] = address[name].strip()
        else:
            errors[f"address.{name}"] = [f"{label} est obligatoire."]
    postal_code = str(address.get("postal_code") or "").strip()
    if POSTAL_CODE.match(postal_code):
        clean["postal_code"] = postal_code
    else:
        errors["address.postal_code"] = ["Le code postal doit comporter 5 chiffres."]
    return clean, errors


def check_sign_up(data: dict[str, Any]) -> tuple[dict, dict]:
    """All of ID-1's fields at once: clean values and every field's error."""
    errors: dict[str, list[str]] = {}
    email = normalise_email(str(data.get("email") or ""))
    if not EMAIL.match(email):
        errors["email"] = ["L'adresse e-mail n'est pas valide."]
    problems = password_problems(str(data.get("password") or ""))
    if problems:
        errors["password"] = problems
    profile, profile_errors = check_profile(data)
    address, address_errors = check_address(data)
    errors.update(profile_errors)
    errors.update(address_errors)
    return {"email": email, "profile": profile, "address": address}, errors
