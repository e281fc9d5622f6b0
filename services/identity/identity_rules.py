"""What a request for a digital identity (ID-7) must hold, checked before
anything is recorded: adults only, a valid identity document (a residence
permit of 5 years or more), and the identity data in full.

Pure: today's date comes in. Every problem is a French sentence under the
field's name, as the other forms of identity answer."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from services.common.calendar import add_months

ADULT_AGE = 18
IDENTITY_CARD = "carte_identite"
PASSPORT = "passeport"
RESIDENCE_PERMIT = "titre_sejour"
DOCUMENT_KINDS = {
    IDENTITY_CARD: "carte d'identité",
    PASSPORT: "passeport",
    RESIDENCE_PERMIT: "titre de séjour",
}
# A residence permit counts from this length of validity (ID-7).
PERMIT_YEARS = 5
CIVILITIES = ("M.", "Mme")
MAX_GIVEN_NAMES = 10
MAX_NAME = 60

# Letters of any Latin alphabet, spaces, hyphens and apostrophes; the digits
# and letters of other alphabets are refused (a name is checked on a document).
_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿŒœ' -]+$")
# ASCII only: `\d` would take other alphabets' digits.
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{8,12}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def age_on(birth: date, today: date) -> int:
    """Whole years lived on `today`."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - before_birthday


def check_request(
    data: Any, today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The request's cleaned data and the problems found (none: it may go)."""
    if not isinstance(data, dict):
        return {}, {"donnees": ["Les données envoyées sont illisibles."]}
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    civility = data.get("civilite")
    if civility not in CIVILITIES:
        problems["civilite"] = ["Choisissez « M. » ou « Mme »."]
    clean["civilite"] = civility
    clean["prenoms"] = _given_names(data.get("prenoms"), problems)
    clean["nom_naissance"] = _name(data, "nom_naissance", problems, required=True)
    clean["nom_usage"] = _name(data, "nom_usage", problems, required=False)
    clean["commune_naissance"] = _name(
        data, "commune_naissance", problems, required=True
    )
    clean["pays_naissance"] = _name(data, "pays_naissance", problems, required=True)
    clean["nationalite"] = _name(data, "nationalite", problems, required=True)
    birth = _date(data, "date_naissance", problems)
    if birth is not None:
        if birth > today:
            problems["date_naissance"] = ["La date de naissance est dans le futur."]
        elif age_on(birth, today) < ADULT_AGE:
            problems["date_naissance"] = [
                "L'Identité Numérique est réservée aux personnes majeures."
            ]
    clean["date_naissance"] = birth.isoformat() if birth else None
    clean["document"] = _document(data.get("document"), today, problems)
    return clean, problems


def _given_names(value: Any, problems: dict[str, list[str]]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems["prenoms"] = [
            "Indiquez tous vos prénoms, dans l'ordre de l'état civil."
        ]
        return []
    if len(value) > MAX_GIVEN_NAMES:
        problems["prenoms"] = [f"Pas plus de {MAX_GIVEN_NAMES} prénoms."]
        return []
    names = [_clean_name(v) for v in value]
    if any(n is None for n in names):
        problems["prenoms"] = [
            "Chaque prénom s'écrit en lettres (tirets, apostrophes et espaces "
            f"permis), {MAX_NAME} caractères au plus."
        ]
        return []
    return [n for n in names if n is not None]


def _name(
    data: dict[str, Any], field: str, problems: dict[str, list[str]], required: bool
) -> str | None:
    value = data.get(field)
    if value in (None, "") and not required:
        return None
    name = _clean_name(value)
    if name is None:
        problems[field] = [
            "Ce champ est obligatoire : des lettres (tirets, apostrophes et "
            f"espaces permis), {MAX_NAME} caractères au plus."
        ]
    return name


def _clean_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text or len(text) > MAX_NAME or not _NAME.match(text):
        return None
    return text


def _date(data: Any, field: str, problems: dict[str, list[str]]) -> date | None:
    value = data.get(field) if isinstance(data, dict) else None
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems[field] = ["Indiquez une date valide (AAAA-MM-JJ)."]
    return None


def _document(
    value: Any, today: date, problems: dict[str, list[str]]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems["document"] = ["Indiquez votre pièce d'identité."]
        return None
    kind = value.get("type")
    if kind not in DOCUMENT_KINDS:
        problems["document.type"] = [
            "La pièce doit être une carte d'identité, un passeport "
            "ou un titre de séjour."
        ]
    number = value.get("numero")
    if isinstance(number, str):
        number = number.strip().upper()
    if not isinstance(number, str) or not _DOCUMENT_NUMBER.match(number):
        problems["document.numero"] = [
            "Le numéro de la pièce compte de 8 à 12 lettres ou chiffres."
        ]
    found: dict[str, list[str]] = {}
    expiry = _date(value, "date_expiration", found)
    if expiry is not None and expiry < today:
        found["date_expiration"] = [
            "Votre pièce d'identité a expiré : il faut une pièce en cours de validité."
        ]
    if kind == RESIDENCE_PERMIT:
        issued = _date(value, "date_delivrance", found)
        if issued is not None and expiry is not None:
            if issued > today:
                found["date_delivrance"] = ["La date de délivrance est dans le futur."]
            elif add_months(issued, 12 * PERMIT_YEARS) > expiry:
                found["date_delivrance"] = [
                    "Seul un titre de séjour d'une durée de 5 ans ou plus est accepté."
                ]
    problems.update({f"document.{k}": v for k, v in found.items()})
    return {
        "type": kind,
        "numero": number,
        "date_expiration": expiry.isoformat() if expiry else None,
        "date_delivrance": value.get("date_delivrance")
        if kind == RESIDENCE_PERMIT
        else None,
    }
