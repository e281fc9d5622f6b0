"""Identity keeps no personal data of a school's contact in clear, on the real
stack (issue 11): what identified them is in none of identity's tables after a
whole account's life, and signing in, resetting and signing up again with the
same address behave as before."""

from __future__ import annotations

import random
import string
import uuid

import requests

from tests.e2e.conftest import PASSWORD, sign_up_payload
from tests.e2e.test_erasure import where_found
from tests.e2e.test_identity_api import _link, _sign_in


def _marker() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10)).capitalize()


def _digits() -> str:
    """The end of a mobile number after 06: « 0612 » is allocated; not every
    06 prefix is (« 06935… » is refused as no number)."""
    return "12" + "".join(random.choices(string.digits, k=6))


def _in_identity(settings, traces: list[str]) -> set[str]:
    return {
        table
        for service, table in where_found(settings, traces)
        if service == "identity"
    }


def test_identity_keeps_no_contact_data_in_clear(gateway, mail_folder, settings):
    marker, phone, new_phone = _marker(), _digits(), _digits()
    email = f"{marker.lower()}@example.fr"
    payload = sign_up_payload(
        email,
        last_name=marker,
        first_name=f"Alix{marker.lower()}",
        phone=f"06{phone}",
        address={"street": f"3 rue {marker}", "postal_code": "69001", "city": "Lyon"},
    )
    created = requests.post(
        f"{gateway}/api/comptes",
        json=payload,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert created.status_code == 201, created.text
    # The same address again: the answer of any sign-up (no account oracle);
    # the owner gets a new activation link.
    again = requests.post(
        f"{gateway}/api/comptes", json={**payload, "email": email.upper()}
    )
    assert again.status_code == 201, again.text
    assert again.json() == created.json()

    activated = requests.post(
        f"{gateway}/api/comptes/activation",
        json=_link(mail_folder, email, "activation", nth=2),
    )
    assert activated.status_code == 200
    assert _sign_in(gateway, email, "Mauvais1").status_code == 401
    session = _sign_in(gateway, f" {email.upper()} ")
    assert session.status_code == 201
    headers = {"Authorization": f"Bearer {session.json()['token']}"}
    profile = requests.get(f"{gateway}/api/compte", headers=headers).json()
    assert profile["email"] == email
    assert (profile["last_name"], profile["phone"]) == (marker, f"+336{phone}")
    assert profile["address"]["street"] == f"3 rue {marker}"
    assert profile["company_name"] == "Auto-école du Centre"

    changed = requests.patch(
        f"{gateway}/api/compte",
        json={"first_name": f"Zoe{marker.lower()}", "phone": f"06{new_phone}"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["first_name"] == f"Zoe{marker.lower()}"
    assert changed.json()["last_name"] == marker

    asked = requests.post(f"{gateway}/api/mot-de-passe/oubli", json={"email": email})
    assert asked.status_code == 200
    reset = requests.post(
        f"{gateway}/api/mot-de-passe/reinitialisation",
        json={**_link(mail_folder, email, "reinitialisation"), "password": "Neuf2027A"},
    )
    assert reset.status_code == 200
    assert _sign_in(gateway, email, PASSWORD).status_code == 401
    renewed = _sign_in(gateway, email, "Neuf2027A")
    assert renewed.status_code == 201
    assert renewed.json()["account"]["phone"] == f"+336{new_phone}"

    assert _in_identity(settings, [marker, phone, new_phone]) == set()
    # The dump does see what is kept in clear: the company's SIRET (a legal
    # person's), in the events.
    assert "identity_events" in _in_identity(settings, [payload["siret"]])
