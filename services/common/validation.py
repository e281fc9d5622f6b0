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


# France and its overseas departments and territories: each has its own
# country code in the numbering plan, and each one's mobiles take SMS.
FRENCH_REGIONS = frozenset(
    {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}
)


def is_french_mobile(e164: str) -> bool:
    """Whether a number (as `normalise_phone` gives it) is a French mobile: the
    only numbers an SMS is sent to (a landline cannot read it)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return (
        phonenumbers.region_code_for_number(number) in FRENCH_REGIONS
        and kind == phonenumbers.PhoneNumberType.MOBILE
    )
