"""Checks of contact fields shared by services (e-mail, phone).

Lengths, characters and identifiers follow `services.common.inputs`.
"""

from __future__ import annotations

import phonenumbers

from services.common.inputs import lookup_address


def normalise_email(email: str) -> str:
    """An address as typed to find an account: the key accounts are claimed by."""
    return lookup_address(email)


def normalise_phone(raw: str) -> str | None:
    """A French (or international) number in E.164, or None if it is not one.

    phonenumbers reads full-width and Arabic-Indic digits as digits: callers
    pass the text through `inputs.PHONE` (ASCII digits only) first.
    """
    if not raw.isascii():
        return None
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
