"""The owner is told by e-mail of repeated failed sign-ins (issue 12): a burst
of wrong passwords for one school from several addresses sends its owner one
French e-mail, while an unknown address gets the same answers and sends
nothing; the owner still signs in from elsewhere."""

from __future__ import annotations

import re
import secrets
import time

import requests

from tests.e2e.conftest import PASSWORD
from tests.helpers import mails, mails_to, wait_for

SUBJECT = "Tentatives de connexion à votre compte Passer mon code"


def _burst(gateway: str, email: str, addresses: int, each: int) -> list:
    """`each` wrong passwords from each of `addresses` client addresses."""
    prefix = f"198.51.{secrets.randbelow(250)}"
    return [
        requests.post(
            f"{gateway}/api/sessions",
            json={"email": email, "password": "Mauvais2026"},
            headers={"X-Forwarded-For": f"{prefix}.{n + 1}"},
        )
        for n in range(addresses)
        for _ in range(each)
    ]


def _minutes_left_out(body: dict) -> dict:
    return {**body, "message": re.sub(r"\d+ minutes", "N minutes", body["message"])}


def _alerts(mail_folder, email: str) -> list:
    return [m for m in mails_to(mail_folder, email) if m["Subject"] == SUBJECT]


def test_a_burst_of_wrong_passwords_tells_the_owner_once(
    gateway, settings, new_school, mail_folder
):
    threshold = settings.sign_in_alert_failures
    each = settings.limit_sign_in_failures + 2  # the last ones answered 429
    addresses = threshold // settings.limit_sign_in_failures + 2
    school = new_school()
    unknown = f"personne-{secrets.token_hex(4)}@example.fr"

    answers = {
        email: _burst(gateway, email, addresses, each)
        for email in (school["email"], unknown)
    }
    # The same answers, body and status, whether the account exists or not
    # (but for the minutes left of the limit's window: the second burst may
    # come a minute after the first on a loaded machine).
    seen = {
        email: [(a.status_code, _minutes_left_out(a.json())) for a in got]
        for email, got in answers.items()
    }
    assert seen[school["email"]] == seen[unknown]
    assert [s for s, _ in seen[unknown]].count(401) > threshold

    (alert,) = wait_for(lambda: _alerts(mail_folder, school["email"]), timeout=20)
    text = alert.get_content()
    assert f"{threshold} tentatives de connexion" in text
    assert "réinitialiser" in text and "/mot-de-passe-oublie" in text
    time.sleep(2)  # anything more would have come by now
    assert len(_alerts(mail_folder, school["email"])) == 1
    assert not [m for m in mails(mail_folder) if m["To"] == unknown]

    # The owner, from another address, signs in as usual.
    owner = requests.post(
        f"{gateway}/api/sessions",
        json={"email": school["email"], "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.77"},
    )
    assert owner.status_code == 201, owner.text
