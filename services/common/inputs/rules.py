"""The rules of each kind of field: identifiers with their keys, e-mail
addresses, free text by where it ends up, tokens and bank details."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siret as stdnum_siret

from services.common.inputs.text import (
    CITY_MAX,
    COMPANY_MAX,
    CSV_MAX,
    EMAIL_MAX,
    GIVEN_NAMES_MAX,
    NAME_MAX,
    SEARCH_MAX,
    SEPA_HOLDER_MAX,
    STREET_MAX,
    InputError,
    Rule,
)

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
