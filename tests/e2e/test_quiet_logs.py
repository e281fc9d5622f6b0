"""No log line of any process holds a token or personal data (TR-4, CA-4).

A school and a candidate whose names and e-mail addresses carry a marker go
through every flow that handles a secret or a searched term: sign-up and
activation from the e-mailed link, the candidate's confirmation and receipt,
a seat booked and paid by card (the candidate gets the convocation), searches
by name and NEPH, refusals, an old-style link (`?jeton=`) and a password
reset. Meanwhile every process writes its log lines to a file of its
own (tests/e2e/conftest.py); none of them may hold the marker, the NEPH or a
token.
"""

from __future__ import annotations

import secrets
import string
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from services.billing.provider import APPROVED
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import PASSWORD, sign_up_payload
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.helpers import link_params, mails_to, wait_for


def _marker() -> str:
    """Letters only, so it fits in a name; found nowhere else."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def _log_lines(folder: Path) -> list[tuple[str, str]]:
    """(file, line) of every process's log, each line as written."""
    return [
        (path.name, line)
        for path in sorted(folder.glob("*.log"))
        for line in path.read_text(errors="replace").splitlines()
    ]


def _school(gateway: str, mail_folder: Path, email: str) -> tuple[dict, list[str]]:
    """Sign up and activate from the link: the school and the secrets seen."""
    created = requests.post(f"{gateway}/api/comptes", json=sign_up_payload(email))
    assert created.status_code == 201, created.text
    mail = wait_for(lambda: mails_to(mail_folder, email), timeout=30)[0]
    link = link_params(mail, "activation")
    activated = requests.post(f"{gateway}/api/comptes/activation", json=link)
    assert activated.status_code == 200, activated.text
    session = requests.post(
        f"{gateway}/api/sessions", json={"email": email, "password": PASSWORD}
    )
    assert session.status_code == 201, session.text
    bearer = session.json()["token"]
    school = {"email": email, "headers": {"Authorization": f"Bearer {bearer}"}}
    return school, [link["jeton"], bearer]


def _candidate(
    gateway: str, mail_folder: Path, school: dict, marker: str, neph: str
) -> list[str]:
    """A candidate file created, confirmed from the link, its receipt
    downloaded: the secrets seen."""
    email = f"candidat.{marker}@example.fr"
    person = {
        "neph": neph,
        "civility": "MME",
        "birth_name": f"Nom{marker}",
        "usage_name": f"Usage{marker}",
        "given_names": f"Prenom{marker}",
        "birth_date": "17/03/2006",
        "email": email,
        "address": {
            "street": f"3 rue {marker.capitalize()}",
            "postal_code": "69001",
            "city": "Lyon",
        },
    }
    created = requests.post(
        f"{gateway}/api/candidats", json=person, headers=school["headers"]
    )
    assert created.status_code == 201, created.text
    # Refused at once: the same NEPH a second time (an expected error, which
    # nameko logs with the exception).
    again = requests.post(
        f"{gateway}/api/candidats", json=person, headers=school["headers"]
    )
    assert again.status_code >= 400
    mail = wait_for(lambda: mails_to(mail_folder, email), timeout=30)[-1]
    link = link_params(mail, "candidat/activation")
    seen = requests.post(f"{gateway}/api/candidat/dossier", json=link)
    assert seen.status_code == 200, seen.text
    confirmed = requests.post(
        f"{gateway}/api/candidat/confirmation", json={**link, "attestation": True}
    )
    assert confirmed.status_code == 200, confirmed.text
    receipt_token = confirmed.json()["jeton_recu"]
    receipt = requests.post(
        f"{gateway}/api/candidat/recu",
        json={"dossier": link["dossier"], "jeton_recu": receipt_token},
    )
    assert receipt.headers["Content-Type"] == "application/pdf"
    # A wrong receipt token is refused, and not logged either.
    wrong = requests.post(
        f"{gateway}/api/candidat/recu",
        json={"dossier": link["dossier"], "jeton_recu": receipt_token[::-1]},
    )
    assert wrong.status_code >= 400
    return [link["jeton"], receipt_token, receipt_token[::-1]]


def _book_and_pay(
    gateway: str, mail_folder: Path, scheduling, school: dict, marker: str, neph: str
) -> None:
    """A seat held for the candidate and paid by card; the convocation sent."""
    site = centre(scheduling, "TEST-QUIET", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 3), 18, COLLECTIVE)
    held = hold(gateway, school, neph, session["id"])
    assert held.status_code == 201, held.text
    # The page's part: the number to the provider's hosted fields, a token back.
    hosted = requests.get(
        f"{gateway}/api/paiement/carte/prestataire", headers=school["headers"]
    )
    assert hosted.status_code == 200, hosted.text
    token = requests.post(hosted.json()["tokenisation"], json={"numero": APPROVED})
    assert token.status_code in (200, 201), token.text
    paid = requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "jeton": token.json()["jeton"], "cle": f"quiet-{marker}"},
        headers=school["headers"],
    )
    assert paid.status_code in (200, 201, 202), paid.text
    wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, f"candidat.{marker}@example.fr")
            if m["Subject"] == "Votre convocation à l'examen du code de la route"
        ],
        timeout=60,
    )


def _searches(gateway: str, school: dict, marker: str, neph: str) -> None:
    """What a school types to find its candidates: names, NEPH, and a search
    refused for a control character."""
    headers = school["headers"]
    # A name is found by the beginning of its words (its list is sealed).
    found = requests.get(
        f"{gateway}/api/candidats",
        params={"recherche": f"Nom{marker}"},
        headers=headers,
    )
    assert [row["neph"] for row in found.json()["items"]] == [neph]
    by_neph = requests.get(
        f"{gateway}/api/candidats", params={"recherche": neph}, headers=headers
    )
    assert len(by_neph.json()["items"]) == 1
    for path, params in (
        ("/api/reservations", {"recherche": marker}),
        ("/api/reservations", {"recherche": neph}),
        ("/api/inscription/candidat", {"neph": neph}),
    ):
        answer = requests.get(f"{gateway}{path}", params=params, headers=headers)
        assert answer.status_code < 500, answer.text
    refused = requests.get(
        f"{gateway}/api/candidats",
        params={"recherche": f"{marker}\x01"},
        headers=headers,
    )
    assert refused.status_code == 400


def _password_reset(gateway: str, mail_folder: Path, email: str) -> list[str]:
    """A reset from a link written the old way (`?jeton=`): the gateway moves
    it to the fragment, and the reset works. The secrets seen."""
    asked = requests.post(f"{gateway}/api/mot-de-passe/oubli", json={"email": email})
    assert asked.status_code == 200, asked.text

    def reset_mail() -> list:
        return [
            m
            for m in mails_to(mail_folder, email)
            if m["Subject"] == "Réinitialisation de votre mot de passe Passer mon code"
        ]

    link = link_params(wait_for(reset_mail, timeout=30)[0], "reinitialisation")
    old_style = requests.get(
        f"{gateway}/reinitialisation?{urlencode(link)}", allow_redirects=False
    )
    assert old_style.status_code == 303
    assert old_style.headers["Location"] == f"/reinitialisation#{urlencode(link)}"
    reset = requests.post(
        f"{gateway}/api/mot-de-passe/reinitialisation",
        json={**link, "password": "Nouveau2027"},
    )
    assert reset.status_code == 200, reset.text
    return [link["jeton"]]


def test_no_log_line_holds_a_token_or_personal_data(
    stack, gateway, mail_folder, scheduling
):
    marker = _marker()
    neph = "3" + "".join(secrets.choice(string.digits) for _ in range(11))
    school_email = f"ecole.{marker}@example.fr"

    school, secrets_seen = _school(gateway, mail_folder, school_email)
    secrets_seen += _candidate(gateway, mail_folder, school, marker, neph)
    _book_and_pay(gateway, mail_folder, scheduling, school, marker, neph)
    _searches(gateway, school, marker, neph)
    # The school is told of the confirmation: the notifier has done its part.
    wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, school_email)
            if m["Subject"].startswith("Dossier confirmé")
        ],
        timeout=30,
    )
    secrets_seen += _password_reset(gateway, mail_folder, school_email)
    time.sleep(1)  # the last lines of every process, written

    lines = _log_lines(Path(stack.log_folder))
    # The flows were logged (by route template), so the logs were read.
    assert any('"/api/candidat/recu"' in line for _, line in lines)
    assert any('"/api/candidats"' in line for _, line in lines)
    needles = [marker, neph, APPROVED, *secrets_seen]
    leaks = [
        (name, line)
        for name, line in lines
        if any(needle in line.lower() for needle in map(str.lower, needles))
    ]
    assert leaks == []


def test_an_old_style_link_is_moved_to_the_fragment_whatever_it_holds(gateway):
    hostile = {
        "dossier": "x\r\nSet-Cookie: a=b",
        "jeton": "<script>alert(1)</script>",
        "autre": "ignoré",
    }
    for page in ("/activation", "/reinitialisation", "/candidat/activation"):
        answer = requests.get(
            f"{gateway}{page}?{urlencode(hostile)}", allow_redirects=False
        )
        assert answer.status_code == 303
        location = answer.headers["Location"]
        assert location.startswith(f"{page}#") and "?" not in location
        assert "\r" not in location and "<" not in location and "autre" not in location
        assert "Set-Cookie" not in answer.headers
        assert answer.headers["Cache-Control"] == "no-store"
    # Without a token, the page itself.
    plain = requests.get(f"{gateway}/activation?renvoi=1", allow_redirects=False)
    assert plain.status_code == 200
