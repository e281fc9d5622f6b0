"""Checks of contact fields shared by services (e-mail, phone, postal code)."""

from __future__ import annotations

import re

import phonenumbers

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
POSTAL_CODE = re.compile(r"^\d{5}$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(raw: str) -> str | None:
    """A French (or international) number in E.164, or None if it is not one."""
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
