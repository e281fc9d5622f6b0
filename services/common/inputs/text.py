"""Text as the platform takes it: normalised, stripped, no control or invisible
characters, a length per field; and `Rule`, one field's rule."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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
