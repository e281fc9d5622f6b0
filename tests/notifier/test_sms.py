"""The SMS catcher and the numbers an SMS goes to."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.common.validation import is_french_mobile, normalise_phone
from services.notifier.sms import SmsCatcher, SmsRefused
from tests.helpers import sms_to


def test_a_repeat_of_one_message_is_one_sms(tmp_path):
    catcher = SmsCatcher(str(tmp_path))
    message_id = uuid4()
    catcher.send(message_id, "+33612345678", "Bonjour")
    catcher.send(message_id, "+33612345678", "Bonjour")
    catcher.send(uuid4(), "+33612345678", "Autre")
    assert sorted(sms_to(tmp_path, "+33612345678")) == ["Autre", "Bonjour"]
    assert len(list(tmp_path.glob("*.txt"))) == 2


@pytest.mark.parametrize(
    "number", ["+33142685300", "+447400123456", "+3361234", "pas un numéro"]
)
def test_only_french_mobiles_take_an_sms(tmp_path, number):
    with pytest.raises(SmsRefused):
        SmsCatcher(str(tmp_path)).send(uuid4(), number, "Bonjour")
    assert not list(tmp_path.glob("*"))


@pytest.mark.parametrize(
    ("typed", "mobile"),
    [
        ("06 12 34 56 78", True),
        ("+33 7 81 22 33 44", True),
        ("+262 692 12 34 56", True),  # La Réunion
        ("01 42 68 53 00", False),
        ("+44 7400 123456", False),
    ],
)
def test_french_mobiles_are_told_from_other_numbers(typed, mobile):
    e164 = normalise_phone(typed)
    assert e164 is not None
    assert is_french_mobile(e164) is mobile
