"""The one input policy (GW-3): what a value typed by someone outside must be
before the platform keeps it. The gateway's schemas, the CSV imports, the
services' own rules and `pmc` all use these same rules, so a service reached by
RPC or CSV never stores what the gateway would refuse.

Text is normalised (NFC) and stripped; control and invisible format characters
are refused (PostgreSQL cannot store NUL, and a right-to-left override or a
zero-width space makes a name lie about itself); line breaks only in multi-line
fields. Each field has a maximum length chosen from where its value ends up.
Identifiers take ASCII digits only: Python's `str.isdigit()`, `\\d` and `int()`
accept full-width and Arabic-Indic digits, which would give one NEPH three
spellings. Messages are French: they are shown to the person who typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siret as stdnum_siret

REQUIRED = "Ce champ est obligatoire."
NOT_TEXT = "Ce champ doit être une chaîne de caractères."
ONE_LINE = "Ce champ doit tenir sur une seule ligne."
INVALID = "Cette valeur n'est pas valide."

# Cc: controls (NUL…), Cf: invisible formats (RLO U+202E, zero-width space, BOM…),
# Cs: lone surrogates (no UTF-8 encoding: PostgreSQL would refuse them).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# U+2028/U+2029 break a line as surely as "\n".
LINE_SEPARATORS = frozenset({"Zl", "Zp"})
# Line breaks, and the tabs that come with text pasted from a spreadsheet.
MULTILINE_ALLOWED = frozenset("\n\r\t")

# Where values end up, hence their lengths. A postal address line holds 38
# characters (NF Z10-011, the window envelope of our letters), the town 32 after
# the postal code; a name or company fits one line of a receipt or an invoice;
# the SEPA file allows 70 characters for the holder (pain.008 Nm); an e-mail
# address is at most 254 characters (RFC 5321 path).
NAME_MAX = 50
GIVEN_NAMES_MAX = 80
COMPANY_MAX = 100
STREET_MAX = 38
CITY_MAX = 32
EMAIL_MAX = 254
SEPA_HOLDER_MAX = 70
SEARCH_MAX = 100
CSV_MAX = 1_000_000

# Dates typed in a search or a filter: anything outside is a typo, and
# 9999-12-31 plus a day does not exist.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
BIRTH_EARLIEST = date(1900, 1, 1)

ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
FRENCH_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})", re.ASCII)
# What neither PostgreSQL nor the csv module can take, wherever it stands.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class InputError(ValueError):
    """A value refused; its message says why, in French."""


def too_long(limit: int) -> str:
    return f"Ce champ ne peut pas dépasser {limit} caractères."


def refused_character(char: str) -> str | None:
    """Why `char` may not be typed in a one-line field, or None if it may."""
    category = unicodedata.category(char)
    if category in REFUSED_CATEGORIES or category in LINE_SEPARATORS:
        if char in "\n\r" or category in LINE_SEPARATORS:
            return ONE_LINE
        return (
            "Ce champ contient un caractère invisible ou de contrôle non autorisé "
            f"(U+{ord(char):04X})."
        )
    return None


def file_text(value: Any, max_length: int) -> str:
    """A whole file's text (a CSV upload): what no service can store or read.

    Its cells are checked one by one by the rules of their fields, so that the
    report names the line; only NUL and lone surrogates (which PostgreSQL and
    the csv module cannot take) refuse the whole file, with their line.
    """
    if not isinstance(value, str):
        raise InputError(NOT_TEXT)
    if len(value) > max_length:
        raise InputError(too_long(max_length))
    value = value.removeprefix("\ufeff")  # spreadsheets start files with a BOM
    found = UNSTORABLE.search(value)
    if found:
        line = value.count("\n", 0, found.start()) + 1
        raise InputError(
            f"Le fichier contient un caractère non autorisé "
            f"(U+{ord(found.group()):04X}) à la ligne {line}."
        )
    return value


def text(
    value: Any, max_length: int, *, multiline: bool = False, strip: bool = True
) -> str:
    """`value` as clean text (NFC, stripped), or InputError. "" when blank."""
    if not isinstance(value, str):
        raise InputError(NOT_TEXT)
    # Normalising cannot shrink a text much: refuse a huge one before the work.
    if len(value) > 2 * max_length + 16:
        raise InputError(too_long(max_length))
    cleaned = unicodedata.normalize("NFC", value)
    if strip:
        cleaned = cleaned.strip()
    for char in cleaned:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        reason = refused_character(char)
        if reason:
            raise InputError(reason)
    if len(cleaned) > max_length:
        raise InputError(too_long(max_length))
    return cleaned


@dataclass(frozen=True)
class Rule:
    """One kind of field: its length, its characters, its normal form.

    `pattern` is checked on the cleaned text with ASCII classes and declared in
    the OpenAPI document as is; `then` checks further (a key) and may rewrite
    the value into its stored form (a compact SIRET).
    """

    max_length: int
    pattern: str | None = None
    message: str = INVALID
    multiline: bool = False
    strip: bool = True
    whole_file: bool = False
    then: Callable[[str], str] | None = None
    description: str | None = field(default=None, compare=False)

    def screen(self, value: Any) -> str:
        """Type, characters and length only: what no service may ever receive.

        The gateway screens the fields whose form a service checks itself, so
        that the service still names every wrong field at once.
        """
        if value is None:
            value = ""
        if self.whole_file:
            return file_text(value, self.max_length)
        try:
            return text(
                value, self.max_length, multiline=self.multiline, strip=self.strip
            )
        except InputError as exc:
            # "69 001" is better told its format than its length.
            if self.pattern and str(exc) == too_long(self.max_length):
                raise InputError(self.message) from None
            raise

    def clean(self, value: Any, *, required: bool = False) -> str:
        """The value in its stored form; "" when blank and not required."""
        cleaned = self.screen(value)
        if not cleaned:
            if required:
                raise InputError(REQUIRED)
            return ""
        if self.pattern and not re.fullmatch(self.pattern, cleaned, re.ASCII):
            raise InputError(self.message)
        return self.then(cleaned) if self.then else cleaned

    def openapi(self) -> dict[str, Any]:
        """What the OpenAPI document declares for this field."""
        declared: dict[str, Any] = {"maxLength": self.max_length}
        if self.pattern:
            declared["pattern"] = self.pattern
        if self.description:
            declared["description"] = self.description
        return declared


# -- identifiers: ASCII digits, their keys ----------------------------------------


def compact(value: str) -> str:
    return value.replace(" ", "")


def _siret_key(value: str) -> str:
    digits = compact(value)
    # stdnum alone would let 00000000000000 through (its Luhn sum is 0) and
    # silently turn full-width digits into ASCII ones; the pattern came first.
    if digits[:9] == "000000000" or not stdnum_siret.is_valid(digits):
        raise InputError(SIRET_MESSAGE)
    return digits


def _postal_code(value: str) -> str:
    if value[:2] in ("00", "99"):
        raise InputError(POSTAL_CODE_MESSAGE)
    return value


NEPH_MESSAGE = "Le NEPH doit comporter exactement 12 chiffres."
SIRET_MESSAGE = (
    "Le SIRET doit comporter 14 chiffres et être valide (clé de contrôle incorrecte)."
)
POSTAL_CODE_MESSAGE = "Le code postal doit comporter 5 chiffres."

NEPH = Rule(
    23,
    r"^(?:[0-9] ?){11}[0-9]$",
    NEPH_MESSAGE,
    then=compact,
    description="12 chiffres",
)
SIRET = Rule(
    27,
    r"^(?:[0-9] ?){13}[0-9]$",
    SIRET_MESSAGE,
    then=_siret_key,
    description="14 chiffres, clé de contrôle valide",
)
POSTAL_CODE = Rule(5, r"^[0-9]{5}$", POSTAL_CODE_MESSAGE, then=_postal_code)
PHONE = Rule(30, r"^[0-9 +().-]+$", "Le numéro de téléphone n'est pas valide.")


# -- e-mail addresses -------------------------------------------------------------

EMAIL_MESSAGE = "L'adresse e-mail n'est pas valide."
EMAIL_NOT_ASCII = (
    "L'adresse e-mail n'est pas valide : avant « @ », ni accent, ni émoji, "
    "ni caractère spécial."
)


def email_address(value: str) -> str:
    """A deliverable address syntax (no DNS look-up), lower-cased, ASCII.

    An address whose local part needs SMTPUTF8 (an emoji, accents) is refused:
    most mail servers cannot deliver to it, and the activation mail would be
    lost; an international domain is kept in its ASCII (IDNA) form.
    """
    try:
        checked = validate_email(
            value, check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError:
        local = value.rpartition("@")[0]
        if not local.isascii():
            raise InputError(EMAIL_NOT_ASCII) from None
        raise InputError(EMAIL_MESSAGE) from None
    address = checked.ascii_email or checked.normalized
    if len(address) > EMAIL_MAX:
        raise InputError(EMAIL_MESSAGE)
    return address.lower()


def lookup_address(value: str) -> str:
    """An address typed to find an account, in the form accounts are kept in.

    `Zoé@École.fr` finds the account made as `zoé@xn--cole-9oa.fr`; an address
    the checks refuse is still looked up (an account made under older rules).
    """
    try:
        return email_address(value.strip())
    except InputError:
        return value.strip().lower()


EMAIL = Rule(EMAIL_MAX, message=EMAIL_MESSAGE, then=email_address)
# Sign-in, forgotten password: the same characters and length, never a refusal
# that would hide an account.
EMAIL_LOOKUP = Rule(EMAIL_MAX, then=lookup_address)


# -- free text, by where it ends up ---------------------------------------------

NAME = Rule(NAME_MAX)
GIVEN_NAMES = Rule(GIVEN_NAMES_MAX)
COMPANY = Rule(COMPANY_MAX)
STREET = Rule(STREET_MAX, description="Une ligne d'adresse postale (38 caractères)")
CITY = Rule(CITY_MAX)
CIVILITY = Rule(3)
SEPA_HOLDER = Rule(SEPA_HOLDER_MAX)
SEARCH = Rule(SEARCH_MAX)
CSV = Rule(CSV_MAX, whole_file=True)
OPENING_HOURS = Rule(200)
# An exam centre as the back office types it (CSV): its name and address are
# printed on the convocation, one line each.
PLACE_NAME = Rule(COMPANY_MAX)
CENTRE_CODE = Rule(32, r"^[A-Za-z0-9_.-]+$", "Code : lettres, chiffres, - _ .")
COORDINATE = Rule(
    20, r"^-?[0-9]{1,3}(?:[.,][0-9]{1,12})?$", "Nombre décimal attendu (ex. 45,76)."
)
FLAG = Rule(5)
# Passwords are hashed, never shown: kept as typed; the cap bounds the hashing.
PASSWORD = Rule(128, strip=False)
# Tokens and keys made by the platform or a client program: printable ASCII.
TOKEN = Rule(256, r"^[!-~]+$")
IDEMPOTENCY_KEY = Rule(
    255,
    r"^[!-~]+$",
    "La clé doit être faite de caractères ASCII imprimables, sans espace.",
)
LETTER_CODE = Rule(32, r"^[A-Za-z0-9 -]+$", "Le code saisi est incorrect.")
# The provider's token for a card (its hosted fields issue it to the page):
# the card number itself never reaches the platform.
CARD_TOKEN = Rule(
    255,
    r"^[A-Za-z0-9_-]+$",
    "Le jeton de carte n'est pas valide : saisissez à nouveau le numéro de carte.",
)
IBAN = Rule(42, r"^[A-Za-z0-9 ]+$", "L'IBAN n'est pas valide (vérifiez sa clé).")
BIC = Rule(14, r"^[A-Za-z0-9 ]+$", "Le BIC n'est pas valide.")
BIRTH_DATE = Rule(
    10,
    r"^(?:[0-9]{2}/[0-9]{2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})$",
    "La date de naissance doit être au format JJ/MM/AAAA.",
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
