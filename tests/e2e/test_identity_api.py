"""School accounts through the gateway, against the real stack (ID-1…ID-5)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from uuid import uuid4

import requests
from openapi_spec_validator import validate

from tests.e2e.conftest import PASSWORD, sign_up_payload
from tests.helpers import link_params, mails_to, wait_for


def _email() -> str:
    return f"ecole-{secrets.token_hex(4)}@example.fr"


def _link(mail_folder, email: str, kind: str, nth: int = 1) -> dict[str, str]:
    """compte and jeton of the nth e-mail of that kind sent to the address."""

    def found() -> list | None:
        mails = [
            m for m in mails_to(mail_folder, email) if f"/{kind}#" in m.get_content()
        ]
        return mails if len(mails) >= nth else None

    mail = wait_for(found, timeout=30)[nth - 1]
    return link_params(mail, kind)


def _sign_in(
    gateway: str, email: str, password: str = PASSWORD, headers: dict | None = None
) -> requests.Response:
    return requests.post(
        f"{gateway}/api/sessions",
        json={"email": email, "password": password},
        headers=headers,
    )


def test_sign_up_email_link_activation_then_sign_in(gateway, mail_folder):
    email = _email()
    created = requests.post(f"{gateway}/api/comptes", json=sign_up_payload(email))
    assert created.status_code == 201
    assert created.json()["message"] == (
        "Nous avons bien pris en compte la création de votre compte La Poste. "
        f"Vous allez bientôt recevoir un e-mail à votre adresse {email} avec un lien "
        "vous permettra d'activer votre compte et d'accéder au site. "
        "Ce lien est valable 48h."
    )
    refused = _sign_in(gateway, email)
    assert refused.status_code == 403
    assert refused.json()["code"] == "compte_non_active"

    link = _link(mail_folder, email, "activation")
    activated = requests.post(f"{gateway}/api/comptes/activation", json=link)
    assert activated.status_code == 200
    session = _sign_in(gateway, email)
    assert session.status_code == 201
    assert session.json()["account"]["company_name"] == "Auto-école du Centre"
    headers = {"Authorization": f"Bearer {session.json()['token']}"}
    profile = requests.get(f"{gateway}/api/compte", headers=headers)
    assert profile.json()["email"] == email


def test_an_activation_link_is_refused_after_48_hours_and_a_new_one_works(
    gateway, mail_folder, travel
):
    email = _email()
    requests.post(f"{gateway}/api/comptes", json=sign_up_payload(email))
    old = _link(mail_folder, email, "activation")
    travel(timedelta(hours=48, minutes=1))
    expired = requests.post(f"{gateway}/api/comptes/activation", json=old)
    assert expired.status_code == 410
    assert expired.json()["message"] == "Ce lien d'activation a expiré."

    resent = requests.post(
        f"{gateway}/api/comptes/activation/renvoi", json={"email": email}
    )
    assert resent.status_code == 200
    new = _link(mail_folder, email, "activation", nth=2)
    assert requests.post(f"{gateway}/api/comptes/activation", json=new).ok
    assert _sign_in(gateway, email).status_code == 201


def test_the_reset_link_works_once_within_two_hours_and_never_after(
    gateway, mail_folder, new_school, travel
):
    school = new_school()
    email = school["email"]
    sent = (
        "Un e-mail vous a été envoyé à l'adresse {}. Pour obtenir votre "
        "nouveau mot de passe, veuillez cliquer sur le lien présent dans cet e-mail. "
        "Pour des raisons de sécurité ce lien n'est utilisable que pendant 2 heures."
    )
    # No account has this address: the same answer (no account oracle), and
    # no e-mail.
    nobody = f"inconnu-{uuid4().hex[:6]}@example.fr"
    unknown = requests.post(f"{gateway}/api/mot-de-passe/oubli", json={"email": nobody})
    assert unknown.status_code == 200
    assert unknown.json()["message"] == sent.format(nobody)

    asked = requests.post(f"{gateway}/api/mot-de-passe/oubli", json={"email": email})
    assert asked.status_code == 200
    assert asked.json()["message"] == sent.format(email)
    link = _link(mail_folder, email, "reinitialisation")
    travel(timedelta(hours=1, minutes=50))
    reset = requests.post(
        f"{gateway}/api/mot-de-passe/reinitialisation",
        json={**link, "password": "Nouveau2027"},
    )
    assert reset.status_code == 200
    again = requests.post(
        f"{gateway}/api/mot-de-passe/reinitialisation",
        json={**link, "password": "Encore2028"},
    )
    assert again.status_code == 400
    assert again.json()["code"] == "lien_invalide"
    assert _sign_in(gateway, email, "Nouveau2027").status_code == 201
    # The old session ended with the new password (the gateway learns it from
    # identity's events, within moments).
    wait_for(
        lambda: (
            requests.get(f"{gateway}/api/compte", headers=school["headers"]).status_code
            == 401
        ),
        timeout=10,
    )

    requests.post(f"{gateway}/api/mot-de-passe/oubli", json={"email": email})
    late = _link(mail_folder, email, "reinitialisation", nth=2)
    travel(timedelta(hours=2, minutes=1))
    expired = requests.post(
        f"{gateway}/api/mot-de-passe/reinitialisation",
        json={**late, "password": "Tardif2029"},
    )
    assert expired.status_code == 410


def test_each_broken_password_rule_and_a_bad_siret_are_named(gateway):
    answer = requests.post(
        f"{gateway}/api/comptes",
        json=sign_up_payload(_email(), password="abc", siret="12345678901234"),
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "donnees_invalides"
    assert body["fields"]["password"] == [
        "Le mot de passe doit contenir au moins 8 caractères.",
        "Le mot de passe doit contenir au moins une lettre majuscule.",
        "Le mot de passe doit contenir au moins un chiffre.",
    ]
    assert body["fields"]["siret"] == [
        "Le SIRET doit comporter 14 chiffres et être valide (clé de contrôle "
        "incorrecte)."
    ]
    missing = requests.post(f"{gateway}/api/comptes", json={"email": _email()})
    assert missing.status_code == 400
    assert missing.json()["fields"]["password"] == ["Ce champ est obligatoire."]


def test_wrong_passwords_slow_one_address_and_the_owner_signs_in_from_another(
    gateway, settings, new_school
):
    email = new_school()["email"]
    stranger = {"X-Forwarded-For": "198.51.100.23"}
    answers = [
        _sign_in(gateway, email, "Mauvais1", headers=stranger) for _ in range(100)
    ]
    allowed = settings.limit_sign_in_failures
    assert [a.status_code for a in answers[:allowed]] == [401] * allowed
    for wrong in answers[:allowed]:
        assert wrong.json()["message"] == "L'e-mail ou le mot de passe est incorrect."
    slowed = answers[allowed:]
    assert {a.status_code for a in slowed} == {429}
    assert 0 < int(slowed[-1].headers["Retry-After"]) <= 15 * 60
    assert slowed[-1].json()["code"] == "trop_de_demandes"
    # The stranger's address waits, even with the right password...
    assert _sign_in(gateway, email, headers=stranger).status_code == 429
    # ...while the owner, elsewhere, signs in: nobody can lock a school out.
    owner = _sign_in(gateway, email, headers={"X-Forwarded-For": "203.0.113.40"})
    assert owner.status_code == 201


def test_profile_and_password_changes(gateway, new_school):
    school = new_school()
    headers = school["headers"]
    bad = requests.patch(
        f"{gateway}/api/compte", json={"siret": "123"}, headers=headers
    )
    assert bad.status_code == 400 and "siret" in bad.json()["fields"]
    changed = requests.patch(
        f"{gateway}/api/compte",
        json={"company_name": "Auto-école Bellecour", "phone": "0612345678"},
        headers=headers,
    )
    assert changed.json()["company_name"] == "Auto-école Bellecour"
    assert changed.json()["phone"] == "+33612345678"

    other = _sign_in(gateway, school["email"]).json()["token"]
    new = requests.post(
        f"{gateway}/api/compte/mot-de-passe",
        json={"current_password": PASSWORD, "new_password": "Nouveau2027"},
        headers=headers,
    )
    assert new.status_code == 200
    renewed = {"Authorization": f"Bearer {new.json()['token']}"}
    assert requests.get(f"{gateway}/api/compte", headers=renewed).ok
    other_headers = {"Authorization": f"Bearer {other}"}
    wait_for(
        lambda: (
            requests.get(f"{gateway}/api/compte", headers=other_headers).status_code
            == 401
        ),
        timeout=10,
    )
    ended = requests.get(f"{gateway}/api/compte", headers=other_headers)
    assert ended.json()["code"] == "non_authentifie"
    assert requests.get(f"{gateway}/api/compte", headers=renewed).ok
    assert _sign_in(gateway, school["email"], "Nouveau2027").status_code == 201


def test_a_school_token_never_touches_another_school(gateway, new_school):
    school_a, school_b = new_school(), new_school()
    requests.patch(
        f"{gateway}/api/compte",
        json={"company_name": "École B modifiée"},
        headers=school_b["headers"],
    )
    profile_a = requests.get(f"{gateway}/api/compte", headers=school_a["headers"])
    assert profile_a.json()["company_name"] == "Auto-école du Centre"
    assert profile_a.json()["account_id"] == school_a["account"]["account_id"]
    forged = requests.get(
        f"{gateway}/api/compte", headers={"Authorization": "Bearer forged.token.here"}
    )
    assert forged.status_code == 401


def test_the_openapi_document_is_valid_openapi_3(gateway):
    document = requests.get(f"{gateway}/api/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.")
    sign_up = document["paths"]["/api/comptes"]["post"]
    assert (
        "SignUp"
        in sign_up["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert document["paths"]["/api/compte"]["patch"]["security"] == [{"bearer": []}]
