"""A mail server that is down delays messages, never loses them (NO-3)."""

from __future__ import annotations

import time

import requests

from tests.helpers import mails_to, wait_for


def test_an_email_queued_while_smtp_is_down_is_sent_once_it_is_back(
    gateway, stack, mail_folder, new_school
):
    school = new_school()
    email = "attente.smtp@example.fr"
    stack.halt("mailcatcher")
    try:
        answer = requests.post(
            f"{gateway}/api/candidats",
            headers=school["headers"],
            json={
                "neph": "160000000001",
                "civility": "M",
                "birth_name": "Faure",
                "given_names": "Nathan",
                "birth_date": "2007-01-20",
                "email": email,
            },
        )
        assert answer.status_code == 201
        time.sleep(3)  # the mailer tries, fails and waits
    finally:
        stack.resume("mailcatcher")
    wait_for(lambda: mails_to(mail_folder, email), timeout=30)
    time.sleep(3)  # a duplicate would arrive within this time
    assert len(mails_to(mail_folder, email)) == 1
