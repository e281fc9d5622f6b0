"""Values other than text: dates, whole numbers, and the checks that gather
every field's errors at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.common.inputs.rules import BIRTH_DATE
from services.common.inputs.text import (
    ASCII_DIGITS,
    BIRTH_EARLIEST,
    EARLIEST,
    FRENCH_DATE,
    INVALID,
    ISO_DATE,
    LATEST,
    InputError,
    Rule,
    text,
)

# -- dates ------------------------------------------------------------------------

DATE_FORMAT = "La date doit être au format AAAA-MM-JJ."
NO_SUCH_DAY = "Cette date n'existe pas."


def out_of_range(earliest: date, latest: date) -> str:
    return (
        f"La date doit être comprise entre le {earliest:%d/%m/%Y} "
        f"et le {latest:%d/%m/%Y}."
    )


def day(value: Any, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """An ISO date (AAAA-MM-JJ, ASCII digits) within a sane range."""
    if isinstance(value, date):
        chosen = value
    else:
        typed = text(value, 10)
        match = ISO_DATE.fullmatch(typed)
        if not match:
            raise InputError(DATE_FORMAT)
        chosen = _date(*(int(g) for g in match.groups()), message=NO_SUCH_DAY)
    if not earliest <= chosen <= latest:
        raise InputError(out_of_range(earliest, latest))
    return chosen


def birth_date(value: Any) -> date:
    """JJ/MM/AAAA or AAAA-MM-JJ, as schools type it, from 1900 on."""
    typed = BIRTH_DATE.clean(value, required=True)
    iso = ISO_DATE.fullmatch(typed)
    french = FRENCH_DATE.fullmatch(typed)
    if iso:
        year, month, dom = (int(g) for g in iso.groups())
    elif french:
        dom, month, year = (int(g) for g in french.groups())
    else:
        raise InputError(BIRTH_DATE.message)
    chosen = _date(year, month, dom, message=BIRTH_DATE.message)
    if chosen < BIRTH_EARLIEST:
        raise InputError("La date de naissance doit être postérieure au 01/01/1900.")
    return chosen


def _date(year: int, month: int, dom: int, *, message: str) -> date:
    try:
        return date(year, month, dom)
    except ValueError:
        raise InputError(message) from None


# -- numbers and choices ------------------------------------------------------------


def whole_number(value: Any, minimum: int, maximum: int) -> int:
    """A count typed as ASCII digits (CSV cells, arguments), within bounds."""
    typed = text(value, 12)
    if not ASCII_DIGITS.fullmatch(typed):
        raise InputError("Nombre entier attendu (chiffres 0 à 9).")
    number = int(typed)
    if not minimum <= number <= maximum:
        raise InputError(f"Nombre entier attendu entre {minimum} et {maximum}.")
    return number


class InvalidFields(ValueError):
    """Several fields refused at once; every RPC boundary answers it with a 400."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(INVALID)
        self.fields = fields


def require(rules: dict[str, tuple[Rule, Any]]) -> dict[str, str]:
    """Clean each required (rule, value) by field name, or raise InvalidFields
    naming every wrong one.

    What a service receives by RPC is checked again there: a caller other than
    the gateway must not make it store what the gateway would refuse.
    """
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, (rule, value) in rules.items():
        try:
            clean[name] = rule.clean(value, required=True)
        except InputError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise InvalidFields(errors)
    return clean


def clean_into(rule: Rule, value: Any, name: str, errors: dict[str, list[str]]) -> str:
    """The value in its stored form, or "" with the field's error recorded,
    so that a service names every wrong field at once."""
    try:
        return rule.clean(value)
    except InputError as exc:
        errors[name] = [str(exc)]
        return ""


def check_fields(
    data: dict[str, Any], rules: dict[str, tuple[Rule, bool]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Clean each named field with its (rule, required); collect every error."""
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, (rule, required) in rules.items():
        try:
            clean[name] = rule.clean(data.get(name), required=required)
        except InputError as exc:
            errors[name] = [str(exc)]
    return clean, errors
