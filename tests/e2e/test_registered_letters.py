"""The online identity check's registered e-letters against the real stack: a
notice delivered twice is one letter; hostile choices change nothing; a
letter left unclaimed expires with the request's 15 days for the files."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
import requests

from services.common import contracts
from services.common.keystore import keystore_from_settings
from tests.e2e import registered_letter_steps as letters
from tests.e2e.test_digital_identity import (
    _ask,
    _candidate,
    _choose_online,
    _request,
    _signed_in_again,
)
from tests.helpers import publish_event, sms_to, wait_for


def _notice(email: str, phone: str, notice: str, **more) -> dict:
    return {
        "account_id": uuid4(),
        "notice": notice,
        "email": email,
        "phone": phone,
        "code": "472",
        "reason": None,
        "expires_at": datetime.now(UTC) + timedelta(days=15),
        "mode": None,
        **more,
    }


def test_a_notice_delivered_twice_sends_one_letter(gateway, settings, sms_folder):
    email = f"lre-{secrets.token_hex(4)}@example.fr"
    phone = f"+3367{secrets.randbelow(10**7):07d}"
    keystore = keystore_from_settings(settings)
    position = 9_300_000 + secrets.randbelow(10**6)
    twice = _notice(email, phone, "procedure_en_ligne")
    publish_event(
        settings.amqp_uri,
        "identity",
        contracts.DigitalIdentityNotice,
        twice,
        position=position,
        times=2,
        keystore=keystore,
    )
    then = _notice(email, phone, "code_activation", code="135790", mode="en_ligne")
    publish_event(
        settings.amqp_uri,
        "identity",
        contracts.DigitalIdentityNotice,
        then,
        position=position + 1,
        keystore=keystore,
    )
    # Once the later notice's letter and SMS are there, the repeat was seen.
    wait_for(lambda: letters.letters_to(settings, email)[1:], timeout=30)
    wait_for(lambda: sms_to(sms_folder, phone), timeout=30)
    assert len(letters.letters_to(settings, email)) == 2
    assert len(sms_to(sms_folder, phone)) == 1  # none for the procedure


@pytest.mark.parametrize("mode", ["en_ligne\x00", "EN_LIGNE", "en ligne", 7, None])
def test_a_hostile_mode_is_refused_and_changes_nothing(
    gateway, mail_folder, sms_folder, new_school, settings, mode
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    assert _ask(gateway, candidate, _request()).status_code == 201
    answer = requests.post(
        f"{gateway}/api/candidat/identite/verification",
        json={"mode": mode},
        headers=candidate["headers"],
    )
    assert answer.status_code == 400, answer.text
    own = requests.get(f"{gateway}/api/candidat/identite", headers=candidate["headers"])
    assert own.json()["statut"] == "demandee"
    assert letters.letters_to(settings, candidate["email"]) == []


def test_online_twice_is_one_letter_and_an_unclaimed_letter_expires(
    gateway, mail_folder, sms_folder, new_school, settings, pmc, travel
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    assert _ask(gateway, candidate, _request()).status_code == 201
    assert _choose_online(gateway, candidate).status_code == 200
    again = _choose_online(gateway, candidate)
    assert again.status_code == 409
    assert "lettre recommandée" in again.json()["message"]
    letter_id = wait_for(
        lambda: letters.letters_to(settings, candidate["email"]), timeout=30
    )[0]
    for hostile in ("../../etc/passwd", "", "../" + letter_id, letter_id.upper()):
        refused = pmc("registered-letter", "accept", hostile)
        assert refused.returncode == 2 and "Lettre inconnue" in refused.stderr

    # Sixteen days later: the letter expired unclaimed, and the request ended.
    travel(timedelta(days=16))
    expired = pmc("registered-letter", "accept", letter_id)
    assert expired.returncode == 2 and "expiré" in expired.stderr
    listed = pmc("registered-letter", "list", candidate["email"])
    assert listed.stdout.split() == [letter_id, "expiree"]
    candidate = _signed_in_again(gateway, candidate)
    seen = requests.get(
        f"{gateway}/api/candidat/identite", headers=candidate["headers"]
    )
    assert seen.json()["statut"] == "terminee"
    assert "15 jours" in seen.json()["motif"]
    assert letters.letters_to(settings, candidate["email"]) == [letter_id]
