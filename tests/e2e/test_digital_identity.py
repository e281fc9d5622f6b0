"""The digital identity (ID-7) through the gateway, against the real stack:
each verification mode runs to an active identity, each deadline ends its
request, the refusals say why, strong sign-in works and five wrong secret
codes lock it; and what a stranger, or an agent without the role, cannot do.
Codes are read from the mail and SMS catchers and, online, from the registered
e-letter simulator."""

from __future__ import annotations

import base64
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
import requests

from tests.e2e import registered_letter_steps as letters
from tests.e2e.test_candidate_account import (
    _bearer,
    _code_mail,
    _code_sms,
    _new_file,
    _open,
    _verify,
)
from tests.helpers import mails_to, sms_to, wait_for

AGENT_PASSWORD = "Guichet2026"
CREATE_AGENT = (sys.executable, "-m", "pmc.cli", "create-agent")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 600
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 900


@pytest.fixture(scope="module")
def agents(platform_env):
    """Agents' accounts, made with the operators' `pmc create-agent`; each
    test gets its own."""

    def make(*roles: str) -> dict:
        email = f"agent-{secrets.token_hex(4)}@laposte.example.fr"
        role_args = [arg for role in roles for arg in ("--role", role)]
        made = subprocess.run(
            [*CREATE_AGENT, email, *role_args],
            input=AGENT_PASSWORD + "\n",
            env=platform_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        return {"email": email}

    return make


def test_an_agent_needs_a_strong_password(platform_env):
    weak = subprocess.run(
        [*CREATE_AGENT, "a@laposte.example.fr", "--role", "guichet"],
        input="court\n",
        env=platform_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert weak.returncode == 2
    assert "password" in weak.stderr


def _agent_headers(gateway, agent) -> dict:
    signed = requests.post(
        f"{gateway}/api/agents/sessions",
        json={"email": agent["email"], "mot_de_passe": AGENT_PASSWORD},
    )
    assert signed.status_code == 201, signed.text
    return _bearer(signed.json()["token"])


def _candidate(gateway, mail_folder, sms_folder, new_school) -> dict:
    """A candidate whose account's e-mail and phone are proved."""
    file = _new_file(gateway, mail_folder, new_school())
    token = _open(gateway, file["link"]).json()["jeton"]
    assert _verify(gateway, token, "email", _code_mail(mail_folder, file["email"])).ok
    phone_code = _code_sms(sms_folder, file["phone"])
    assert _verify(gateway, token, "telephone", phone_code).ok
    return {**file, "headers": _bearer(token)}


def _signed_in_again(gateway, candidate) -> dict:
    """After the clock moved, the morning's session has ended."""
    signed = requests.post(
        f"{gateway}/api/candidat/sessions",
        json={"email": candidate["email"], "mot_de_passe": "Candidat2026"},
    )
    assert signed.status_code == 201, signed.text
    return {**candidate, "headers": _bearer(signed.json()["jeton"])}


def _document_number() -> str:
    return "".join(
        secrets.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(9)
    )


def _request(**changes) -> dict:
    data = {
        "civilite": "Mme",
        "prenoms": ["Inès", "Marie"],
        "nom_naissance": "Benali",
        "date_naissance": "1998-06-21",
        "commune_naissance": "Roubaix",
        "pays_naissance": "France",
        "nationalite": "française",
        "document": {
            "type": "carte_identite",
            "numero": _document_number(),
            "date_expiration": "2099-01-01",
        },
    }
    data.update(changes)
    return data


def _ask(gateway, candidate, data) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidat/identite", json=data, headers=candidate["headers"]
    )


def _sms_with(sms_folder, phone: str, words: str) -> list[str]:
    return wait_for(
        lambda: [t for t in sms_to(sms_folder, phone) if words in t], timeout=30
    )


def _activation_sms(sms_folder, candidate) -> str:
    sms = _sms_with(sms_folder, candidate["phone"], "code d'activation")[-1]
    return re.search(r"est (\d{6})\.", sms).group(1)


def _activate(
    gateway, sms_folder, mail_folder, candidate, secret="2468", by_mail=True
) -> None:
    """The activation code, sent by SMS and by e-mail (or, online, by
    registered e-letter: read by the caller), and the secret code."""
    code = _activation_sms(sms_folder, candidate)
    if by_mail:
        mails = wait_for(
            lambda: [
                m
                for m in mails_to(mail_folder, candidate["email"])
                if "activation d'Identité" in m["Subject"]
            ],
            timeout=30,
        )
        assert code in mails[-1].get_content()
    wrong_secret = requests.post(
        f"{gateway}/api/candidat/identite/activation",
        json={"code": code, "code_secret": "１２３４"},  # full-width digits
        headers=candidate["headers"],
    )
    assert wrong_secret.status_code == 400, wrong_secret.text
    activated = requests.post(
        f"{gateway}/api/candidat/identite/activation",
        json={"code": code, "code_secret": secret},
        headers=candidate["headers"],
    )
    assert activated.status_code == 200, activated.text
    assert activated.json()["statut"] == "active"


def _strong(gateway, phone: str, secret: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidat/identite/sessions",
        json={"telephone": phone, "code_secret": secret},
    )


def test_refusals_say_why_and_change_nothing(
    gateway, mail_folder, sms_folder, new_school
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    minor = _ask(gateway, candidate, _request(date_naissance="2012-01-01"))
    assert minor.status_code == 400
    assert "majeures" in str(minor.json()["fields"])
    expired = _request()
    expired["document"]["date_expiration"] = "2020-01-01"
    answer = _ask(gateway, candidate, expired)
    assert answer.status_code == 400
    assert "expiré" in str(answer.json()["fields"])
    permit = _request()
    permit["document"] = {
        "type": "titre_sejour",
        "numero": _document_number(),
        "date_delivrance": "2025-01-01",
        "date_expiration": "2027-01-01",
    }
    answer = _ask(gateway, candidate, permit)
    assert answer.status_code == 400
    assert "5 ans" in str(answer.json()["fields"])
    for hostile in (
        _request(nom_naissance="Benali\x07"),
        _request(nom_naissance="B" * 5000),
        _request(prenoms=[]),
        _request(date_naissance="١٩٩٨-06-21"),
    ):
        assert _ask(gateway, candidate, hostile).status_code == 400
    own = requests.get(f"{gateway}/api/candidat/identite", headers=candidate["headers"])
    assert own.json()["statut"] is None  # nothing was recorded

    # A school's token opens none of it.
    school = new_school()
    assert (
        requests.get(
            f"{gateway}/api/candidat/identite", headers=school["headers"]
        ).status_code
        == 401
    )


def test_post_office_to_strong_sign_in_and_five_wrong_secrets_lock(
    gateway, mail_folder, sms_folder, new_school, agents
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    data = _request()
    asked = _ask(gateway, candidate, data)
    assert asked.status_code == 201, asked.text
    assert asked.json()["donnees"]["prenoms"] == ["Inès", "Marie"]
    again = _ask(gateway, candidate, _request())
    assert again.status_code == 409  # the identity data is fixed once entered
    chosen = requests.post(
        f"{gateway}/api/candidat/identite/verification",
        json={"mode": "bureau_de_poste"},
        headers=candidate["headers"],
    )
    assert chosen.status_code == 200, chosen.text
    sms = _sms_with(sms_folder, candidate["phone"], "bureau de poste")[-1]
    code = re.search(r"le code (\d{6})", sms).group(1)

    # An agent without the counter's role, and a candidate, find nothing.
    carrier = _agent_headers(gateway, agents("facteur"))
    number = {"numero": data["document"]["numero"]}
    search = f"{gateway}/api/agents/guichet/recherche"
    assert requests.post(search, json=number, headers=carrier).status_code == 403
    assert (
        requests.post(search, json=number, headers=candidate["headers"]).status_code
        == 401
    )
    counter = _agent_headers(gateway, agents("guichet"))
    found = requests.post(search, json=number, headers=counter)
    assert found.status_code == 200, found.text
    case = found.json()
    assert case["donnees"]["nom_naissance"] == "Benali"
    assert "nonce" not in str(case)  # the agent never sees the code
    check = f"{gateway}/api/agents/guichet/{case['identity_id']}/verification"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert (
        requests.post(check, json={"code": wrong}, headers=counter).status_code == 409
    )
    assert (
        requests.post(check, json={"code": "١٢٣٤٥٦"}, headers=counter).status_code
        == 400
    )
    checked = requests.post(check, json={"code": code}, headers=counter)
    assert checked.status_code == 200, checked.text
    assert checked.json()["statut"] == "verifiee"
    # A double click decides nothing twice.
    assert requests.post(check, json={"code": code}, headers=counter).status_code == 409

    _activate(gateway, sms_folder, mail_folder, candidate)
    signed = _strong(gateway, candidate["phone"], "2468")
    assert signed.status_code == 201, signed.text
    own = requests.get(
        f"{gateway}/api/candidat/compte", headers=_bearer(signed.json()["token"])
    )
    assert own.status_code == 200 and own.json()["email"] == candidate["email"]

    for left in (4, 3, 2, 1):
        refused = _strong(gateway, candidate["phone"], "1357")
        assert refused.status_code == 409
        assert f"Il vous reste {left} essai(s)" in refused.json()["message"]
    locked = _strong(gateway, candidate["phone"], "1357")
    assert locked.status_code == 423
    assert _strong(gateway, candidate["phone"], "2468").status_code == 423
    _sms_with(sms_folder, candidate["phone"], "verrouillée")
    # An unknown number gets the answer a wrong secret would not reveal.
    assert _strong(gateway, "+33698000000", "2468").status_code == 401


def test_mail_carrier_visit_to_an_active_identity(
    gateway, mail_folder, sms_folder, new_school, agents
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    asked = _ask(gateway, candidate, _request())
    slots = asked.json()["creneaux"]
    choose = f"{gateway}/api/candidat/identite/verification"
    refused = requests.post(
        choose,
        json={"mode": "facteur", "creneau": "2020-01-01"},
        headers=candidate["headers"],
    )
    assert refused.status_code == 400
    chosen = requests.post(
        choose,
        json={"mode": "facteur", "creneau": slots[0]},
        headers=candidate["headers"],
    )
    assert chosen.status_code == 200, chosen.text
    identity_id = chosen.json()["identity_id"]
    confirm = f"{gateway}/api/agents/facteur/{identity_id}/confirmation"
    counter = _agent_headers(gateway, agents("guichet"))
    assert requests.post(confirm, headers=counter).status_code == 403
    carrier = _agent_headers(gateway, agents("facteur"))
    unknown = f"{gateway}/api/agents/facteur/{candidate['id']}/confirmation"
    assert requests.post(unknown, headers=carrier).status_code == 404
    confirmed = requests.post(confirm, headers=carrier)
    assert confirmed.status_code == 200, confirmed.text
    _activate(gateway, sms_folder, mail_folder, candidate)


def test_online_check_to_an_active_identity_and_lying_files_refused(
    gateway, mail_folder, sms_folder, new_school, agents, settings, pmc
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    _ask(gateway, candidate, _request())
    online = f"{gateway}/api/candidat/identite/en-ligne"
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    early = requests.post(
        online,
        json={"recto": b64(JPEG), "video": b64(MP4)},
        headers=candidate["headers"],
    )
    assert early.status_code == 409  # the registered e-letter comes first
    chosen = _choose_online(gateway, candidate)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["statut"] == "en_attente_fichiers"
    digits = letters.procedure_digits(pmc, settings, candidate["email"])
    lying = requests.post(
        online,
        json={"recto": b64(b"<svg>" + b"a" * 600), "video": b64(MP4)},
        headers=candidate["headers"],
    )
    assert lying.status_code == 400
    assert "JPEG" in str(lying.json()["fields"])
    swapped = requests.post(
        online,
        json={"recto": b64(MP4), "video": b64(JPEG)},
        headers=candidate["headers"],
    )
    assert swapped.status_code == 400
    empty = requests.post(
        online, json={"recto": "", "video": ""}, headers=candidate["headers"]
    )
    assert empty.status_code == 400
    sent = requests.post(
        online,
        json={"recto": b64(JPEG), "video": b64(MP4)},
        headers=candidate["headers"],
    )
    assert sent.status_code == 200, sent.text
    identity_id = sent.json()["identity_id"]

    counter = _agent_headers(gateway, agents("guichet"))
    review = f"{gateway}/api/agents/revue/{identity_id}"
    assert requests.get(review, headers=counter).status_code == 403
    reviewer = _agent_headers(gateway, agents("revue_en_ligne"))
    files = requests.get(review, headers=reviewer)
    assert files.status_code == 200, files.text
    parts = {f["part"]: f for f in files.json()["fichiers"]}
    assert base64.b64decode(parts["recto"]["data"]) == JPEG
    assert parts["video"]["content_type"] == "video/mp4"
    assert files.json()["chiffres"] == digits  # what the video must say
    decided = requests.post(
        f"{review}/decision", json={"accepte": True}, headers=reviewer
    )
    assert decided.status_code == 200, decided.text
    by_sms = _activation_sms(sms_folder, candidate)
    code = letters.activation_code(pmc, settings, candidate["email"], by_sms)
    assert code == by_sms
    # Online, neither letter went as an ordinary e-mail.
    subjects = [m["Subject"] for m in mails_to(mail_folder, candidate["email"])]
    assert not [s for s in subjects if "Identité" in s or "en ligne" in s]
    _activate(gateway, sms_folder, mail_folder, candidate, by_mail=False)


def _choose_online(gateway, candidate) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidat/identite/verification",
        json={"mode": "en_ligne"},
        headers=candidate["headers"],
    )


def test_missed_deadlines_and_a_refusal_end_the_request_and_say_why(
    gateway, mail_folder, sms_folder, new_school, agents, travel
):
    at_post_office = _candidate(gateway, mail_folder, sms_folder, new_school)
    online = _candidate(gateway, mail_folder, sms_folder, new_school)
    refused = _candidate(gateway, mail_folder, sms_folder, new_school)
    for candidate in (at_post_office, online, refused):
        assert _ask(gateway, candidate, _request()).status_code == 201
    for candidate in (at_post_office, refused):
        requests.post(
            f"{gateway}/api/candidat/identite/verification",
            json={"mode": "bureau_de_poste"},
            headers=candidate["headers"],
        )
    b64 = base64.b64encode
    assert _choose_online(gateway, online).status_code == 200
    requests.post(
        f"{gateway}/api/candidat/identite/en-ligne",
        json={"recto": b64(JPEG).decode(), "video": b64(MP4).decode()},
        headers=online["headers"],
    )

    # The counter agent refuses: a document that does not match.
    counter = _agent_headers(gateway, agents("guichet"))
    identity_id = requests.get(
        f"{gateway}/api/candidat/identite", headers=refused["headers"]
    ).json()["identity_id"]
    refusal = f"{gateway}/api/agents/demandes/{identity_id}/refus"
    assert (
        requests.post(refusal, json={"motif": "\x00"}, headers=counter).status_code
        == 400
    )
    answer = requests.post(
        refusal, json={"motif": "La photo ne correspond pas."}, headers=counter
    )
    assert answer.status_code == 200, answer.text
    _sms_with(sms_folder, refused["phone"], "La photo ne correspond pas.")

    # Five days later (weekends included), the online review's 48 working
    # hours have passed; sixteen days later, the post office's 15 days.
    travel(timedelta(days=5))
    online = _signed_in_again(gateway, online)
    at_post_office = _signed_in_again(gateway, at_post_office)
    seen = requests.get(f"{gateway}/api/candidat/identite", headers=online["headers"])
    assert seen.json()["statut"] == "terminee"
    assert "48 heures ouvrées" in seen.json()["motif"]
    _sms_with(sms_folder, online["phone"], "48 heures ouvrées")
    still = requests.get(
        f"{gateway}/api/candidat/identite", headers=at_post_office["headers"]
    )
    assert still.json()["statut"] == "en_verification"
    travel(timedelta(days=11))
    at_post_office = _signed_in_again(gateway, at_post_office)
    seen = requests.get(
        f"{gateway}/api/candidat/identite", headers=at_post_office["headers"]
    )
    assert seen.json()["statut"] == "terminee"
    assert "15 jours" in seen.json()["motif"]
    _sms_with(sms_folder, at_post_office["phone"], "15 jours")
    # A new request may follow an ended one.
    assert _ask(gateway, at_post_office, _request()).status_code == 201
