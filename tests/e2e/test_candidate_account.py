"""A candidate's own account (ID-6, seed 004), through the gateway: opened
when they confirm their file, the e-mail and phone proved by codes read from
the mail and SMS catchers, signing in; and what a stranger cannot do."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
import requests

from tests.helpers import link_params, mails_to, sms_to, wait_for

PASSWORD = "Candidat2026"


def _person(email: str, phone: str = "06 98 76 54 32") -> dict:
    return {
        "neph": "13" + "".join(secrets.choice("0123456789") for _ in range(10)),
        "civility": "MME",
        "birth_name": "Benali",
        "given_names": "Inès",
        "birth_date": "21/06/2006",
        "email": email,
        "phone": phone,
    }


def new_mobile() -> str:
    """A French mobile of its own: each test reads only its own SMS."""
    return "0698" + "".join(secrets.choice("0123456789") for _ in range(6))


def e164(mobile: str) -> str:
    return f"+33{mobile[1:]}"


def _new_file(gateway, mail_folder, school, phone: str | None = None) -> dict:
    phone = phone or new_mobile()
    email = f"ines-{secrets.token_hex(4)}@example.fr"
    answer = requests.post(
        f"{gateway}/api/candidats",
        json=_person(email, phone),
        headers=school["headers"],
    )
    assert answer.status_code == 201, answer.text
    # The file's e-mail goes out on the bulk lane: on a shared platform it may
    # wait behind an earlier test's burst (50 cancellations' e-mails).
    mail = wait_for(lambda: mails_to(mail_folder, email), timeout=90)[0]
    return {
        "email": email,
        "phone": e164(phone),
        "id": answer.json()["id"],
        "link": link_params(mail, "candidat/activation"),
    }


def _open(gateway, link: dict, password: str = PASSWORD) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidat/compte",
        json={**link, "attestation": True, "mot_de_passe": password},
    )


def _code_mail(mail_folder, email: str) -> str:
    mails = wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, email)
            if m["Subject"] == "Votre code de vérification"
        ],
        # A bound, not a promise: on two loaded cores beside other platforms
        # the account lane's mail has taken over 30 s.
        timeout=60,
    )
    return re.search(r"ce code : (\d{6})", mails[-1].get_content()).group(1)


def _code_sms(sms_folder, phone: str, seen: int = 0) -> str:
    texts = wait_for(
        lambda: [t for t in sms_to(sms_folder, phone) if "code de vérification" in t][
            seen:
        ],
        timeout=60,
    )
    return re.search(r"est (\d{6})\.", texts[-1]).group(1)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _verify(gateway, token, channel, code) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidat/compte/verification",
        json={"canal": channel, "code": code},
        headers=_bearer(token),
    )


def test_a_candidate_confirms_opens_an_account_proves_both_and_signs_in(
    gateway, mail_folder, sms_folder, new_school
):
    school = new_school()
    file = _new_file(gateway, mail_folder, school)

    # A password the rule refuses: nothing changes, the file waits still.
    weak = _open(gateway, file["link"], "court")
    assert weak.status_code == 400, weak.text
    assert "mot_de_passe" in weak.json()["fields"]
    status = requests.get(
        f"{gateway}/api/candidats/{file['id']}", headers=school["headers"]
    ).json()["status"]
    assert "attente" in status

    opened = _open(gateway, file["link"])
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["compte"]["email"] == file["email"]
    assert body["compte"]["telephone"] == file["phone"]
    assert body["compte"]["dossiers"] == [file["id"]]
    assert body["compte"]["email_verifie"] is False
    token = body["jeton"]

    # Not proved yet: no signing in.
    early = requests.post(
        f"{gateway}/api/candidat/sessions",
        json={"email": file["email"], "mot_de_passe": PASSWORD},
    )
    assert early.status_code == 403, early.text

    email_code = _code_mail(mail_folder, file["email"])
    phone_code = _code_sms(sms_folder, file["phone"])
    wrong = f"{(int(email_code) + 1) % 1_000_000:06d}"
    refused = _verify(gateway, token, "email", wrong)
    assert refused.status_code == 400
    assert "Il vous reste 4 essai(s)" in refused.json()["message"]

    proved = _verify(gateway, token, "email", email_code)
    assert proved.status_code == 200, proved.text
    assert proved.json()["email_verifie"] is True
    proved = _verify(gateway, token, "telephone", phone_code)
    assert proved.status_code == 200, proved.text
    assert proved.json()["telephone_verifie"] is True
    # A code used once is used up.
    again = _verify(gateway, token, "email", email_code)
    assert again.status_code == 409

    signed_in = requests.post(
        f"{gateway}/api/candidat/sessions",
        json={"email": file["email"], "mot_de_passe": PASSWORD},
    )
    assert signed_in.status_code == 201, signed_in.text
    own = requests.get(
        f"{gateway}/api/candidat/compte", headers=_bearer(signed_in.json()["jeton"])
    )
    assert own.status_code == 200
    assert own.json()["dossiers"] == [file["id"]]

    # Each side's token opens its own routes only.
    assert (
        requests.get(
            f"{gateway}/api/candidat/compte", headers=school["headers"]
        ).status_code
        == 401
    )
    candidate_token = _bearer(signed_in.json()["jeton"])
    for path in ("/api/candidats", "/api/compte"):
        assert (
            requests.get(f"{gateway}{path}", headers=candidate_token).status_code == 401
        ), path


def test_codes_expire_and_guessing_ends_a_code(
    gateway, mail_folder, sms_folder, new_school, travel
):
    school = new_school()
    file = _new_file(gateway, mail_folder, school)
    token = _open(gateway, file["link"]).json()["jeton"]

    phone_code = _code_sms(sms_folder, file["phone"])
    travel(timedelta(minutes=16))
    late = _verify(gateway, token, "telephone", phone_code)
    assert late.status_code == 410, late.text
    assert "demandez un nouveau code" in late.json()["message"]

    # A new code; five wrong guesses end it, even for the right one after.
    sent = requests.post(
        f"{gateway}/api/candidat/compte/codes",
        json={"canal": "telephone"},
        headers=_bearer(token),
    )
    assert sent.status_code == 200, sent.text
    fresh = _code_sms(sms_folder, file["phone"], seen=1)
    wrong = f"{(int(fresh) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert _verify(gateway, token, "telephone", wrong).status_code == 400
    # The code took its five guesses, and so did the account's quarter hour.
    ended = _verify(gateway, token, "telephone", fresh)
    assert ended.status_code in (410, 429), ended.text
    travel(timedelta(minutes=16))
    ended = _verify(gateway, token, "telephone", fresh)
    assert ended.status_code == 410, ended.text


@pytest.mark.parametrize(
    "code", ["١٢٣٤٥٦", "１２３４５６", "12345", "1234567", "12 456", "", "12\x0056"]
)
def test_a_code_of_other_digits_or_length_is_refused(
    gateway, mail_folder, new_school, code
):
    school = new_school()
    file = _new_file(gateway, mail_folder, school)
    token = _open(gateway, file["link"]).json()["jeton"]
    answer = _verify(gateway, token, "email", code)
    assert answer.status_code == 400, answer.text
    assert answer.json()["fields"]


def test_another_candidates_link_or_a_forged_token_opens_nothing(
    gateway, mail_folder, new_school
):
    school = new_school()
    mine = _new_file(gateway, mail_folder, school)
    theirs = _new_file(gateway, mail_folder, school)
    mixed = {"dossier": theirs["id"], "jeton": mine["link"]["jeton"]}
    assert _open(gateway, mixed).status_code in (400, 404)
    forged = {"Authorization": "Bearer " + school["headers"]["Authorization"][7:] + "x"}
    assert (
        requests.get(f"{gateway}/api/candidat/compte", headers=forged).status_code
        == 401
    )
    # A choice that is not a JSON boolean is refused, and confirms nothing.
    for bad in ("oui", 1, None, "true"):
        answer = _open(gateway, {**mine["link"], "refus_reutilisation": bad})
        assert answer.status_code == 400, (bad, answer.text)
        assert "refus_reutilisation" in answer.json()["fields"]
    # A double click: the second confirmation finds the link used.
    assert _open(gateway, mine["link"]).status_code == 201
    assert _open(gateway, mine["link"]).status_code in (400, 409, 410)
