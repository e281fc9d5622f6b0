"""SMS (NO-1, seed 004): the candidate is told by SMS, as well as by e-mail,
that their school created the file; once, and only on a French mobile."""

from __future__ import annotations

import time
from datetime import timedelta

import requests

from tests.e2e.test_erasure import _signed_in_again
from tests.helpers import mails_to, sms_to, wait_for


def _candidate(neph: str, email: str, phone: str) -> dict:
    return {
        "neph": neph,
        "civility": "M",
        "birth_name": "Nguyen",
        "given_names": "Thomas",
        "birth_date": "03/09/2005",
        "email": email,
        "phone": phone,
    }


def test_a_new_file_is_told_once_by_sms_and_by_email(
    gateway, mail_folder, sms_folder, new_school
):
    school = new_school()
    email = "thomas.nguyen@example.fr"
    answer = requests.post(
        f"{gateway}/api/candidats",
        json=_candidate("130000000611", email, "07 81 22 33 44"),
        headers=school["headers"],
    )
    assert answer.status_code == 201, answer.text

    wait_for(lambda: sms_to(sms_folder, "+33781223344"), timeout=30)
    wait_for(lambda: mails_to(mail_folder, email), timeout=30)
    time.sleep(2)  # a repeat would arrive within this time
    texts = sms_to(sms_folder, "+33781223344")
    assert len(texts) == 1
    assert "a créé votre dossier d'inscription" in texts[0]
    assert "lien reçu par e-mail" in texts[0]
    # An SMS shows on a locked screen: no link, no code.
    assert "http" not in texts[0] and "jeton" not in texts[0]
    assert len(mails_to(mail_folder, email)) == 1


def test_a_landline_gets_the_email_and_no_sms(
    gateway, mail_folder, sms_folder, new_school
):
    school = new_school()
    email = "landline.nguyen@example.fr"
    answer = requests.post(
        f"{gateway}/api/candidats",
        json=_candidate("130000000612", email, "01 42 68 53 00"),
        headers=school["headers"],
    )
    assert answer.status_code == 201, answer.text
    wait_for(lambda: mails_to(mail_folder, email), timeout=30)
    time.sleep(2)
    assert sms_to(sms_folder, "+33142685300") == []


def test_a_link_sent_again_says_the_days_that_really_remain(
    gateway, mail_folder, new_school, travel
):
    school = new_school()
    email = "jours.restants@example.fr"
    answer = requests.post(
        f"{gateway}/api/candidats",
        json=_candidate("130000000613", email, "06 55 44 33 22"),
        headers=school["headers"],
    )
    assert answer.status_code == 201, answer.text
    first = wait_for(lambda: mails_to(mail_folder, email), timeout=30)[0]
    assert "Il vous reste 7 jours pour confirmer votre dossier" in first.get_content()

    travel(timedelta(days=3, hours=1))
    school = _signed_in_again(gateway, school)
    resent = requests.post(
        f"{gateway}/api/candidats/{answer.json()['id']}/renvoi",
        headers=school["headers"],
    )
    assert resent.status_code == 200, resent.text
    mails = wait_for(lambda: mails_to(mail_folder, email)[1:], timeout=30)
    body = mails[0].get_content()
    # Not 7 days more: the file's first deadline still holds.
    assert "Il vous reste 4 jours pour confirmer votre dossier" in body
    assert "7 jours" not in body
