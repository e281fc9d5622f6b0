"""The counter agent's desk (ID-7) in a browser: signing in with an agent's
account, finding a request by the document's number, a wrong code refused,
the right one checking the identity (the person gets the activation code)."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.e2e.test_digital_identity import (  # noqa: F401
    AGENT_PASSWORD,
    _candidate,
    _request,
    _sms_with,
    agents,
)


def test_the_counter_agent_finds_a_request_and_checks_the_code(
    page: Page,
    gateway: str,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    data = _request()
    asked = requests.post(
        f"{gateway}/api/candidat/identite", json=data, headers=candidate["headers"]
    )
    assert asked.status_code == 201, asked.text
    requests.post(
        f"{gateway}/api/candidat/identite/verification",
        json={"mode": "bureau_de_poste"},
        headers=candidate["headers"],
    )
    sms = _sms_with(sms_folder, candidate["phone"], "bureau de poste")[-1]
    code = re.search(r"le code (\d{6})", sms).group(1)
    agent = agents("guichet")

    page.goto(f"{gateway}/agents/guichet")
    page.get_by_label("Adresse e-mail").fill(agent["email"])
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator("#guichet-message")).to_contain_text("incorrect")
    page.get_by_label("Mot de passe").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator("#guichet-message")).to_contain_text("connecté")

    page.get_by_label("Numéro de la pièce").fill(data["document"]["numero"])
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#donnees")).to_contain_text("Benali")
    expect(page.locator("#donnees")).to_contain_text("Inès, Marie")

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_label("Code présenté").fill(wrong)
    page.get_by_role("button", name="Valider la vérification").click()
    expect(page.locator("#guichet-message")).to_contain_text("n'est pas celui")
    page.get_by_label("Code présenté").fill(code)
    page.get_by_role("button", name="Valider la vérification").click()
    expect(page.locator("#guichet-message")).to_contain_text("Identité vérifiée")
    expect(page.locator("#donnees")).to_contain_text("verifiee")
    _sms_with(sms_folder, candidate["phone"], "code d'activation")
