"""The agents' desks (ID-7) in a browser. The counter agent's: signing in
with an agent's account, finding a request by the document's number, a wrong
code refused, the right one checking the identity (the person gets the
activation code). The online reviewer's: the queue, a request opened with its
photo and video, a refusal with its reason and an acceptance, each request
leaving the queue."""

from __future__ import annotations

import base64
import io
import re

import requests
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.test_digital_identity import (  # noqa: F401
    AGENT_PASSWORD,
    MP4,
    _agent_headers,
    _candidate,
    _choose_online,
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


def _photo() -> bytes:
    """A real JPEG, so that the page shows a picture, not a broken one."""
    out = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _submitted_online(gateway, mail_folder, sms_folder, new_school) -> dict:
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    asked = requests.post(
        f"{gateway}/api/candidat/identite",
        json=_request(),
        headers=candidate["headers"],
    )
    assert asked.status_code == 201, asked.text
    assert _choose_online(gateway, candidate).status_code == 200
    sent = requests.post(
        f"{gateway}/api/candidat/identite/en-ligne",
        json={
            "recto": base64.b64encode(_photo()).decode(),
            "video": base64.b64encode(MP4).decode(),
        },
        headers=candidate["headers"],
    )
    assert sent.status_code == 200, sent.text
    return {**candidate, "identity_id": sent.json()["identity_id"]}


def test_the_online_reviewer_opens_requests_from_the_queue_and_decides(
    page: Page,
    gateway: str,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    refused = _submitted_online(gateway, mail_folder, sms_folder, new_school)
    accepted = _submitted_online(gateway, mail_folder, sms_folder, new_school)
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
    )

    # A counter agent is not a reviewer.
    page.goto(f"{gateway}/agents/revue")
    page.get_by_label("Adresse e-mail").fill(agents("guichet")["email"])
    page.get_by_label("Mot de passe").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator("#revue-message")).to_contain_text("rôle requis")
    reviewer = agents("revue_en_ligne")
    page.get_by_label("Adresse e-mail").fill(reviewer["email"])
    page.get_by_label("Mot de passe").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator("#revue-message")).to_contain_text("connecté")

    headers = _agent_headers(gateway, reviewer)
    for case, reason in ((refused, "La vidéo est floue."), (accepted, None)):
        _open(page, case["identity_id"])
        expect(page.locator("#donnees")).to_contain_text("Benali")
        digits = requests.get(
            f"{gateway}/api/agents/revue/{case['identity_id']}", headers=headers
        ).json()["chiffres"]
        assert len(digits) == 3 and digits.isdigit()
        expect(page.locator("#donnees")).to_contain_text(
            f"Chiffres à entendre dans la vidéo{digits}"
        )
        photo = page.get_by_role("img", name="Photo du recto de la pièce")
        expect(photo).to_be_visible()
        assert photo.evaluate("img => img.naturalWidth") == 64
        video = page.locator("#pieces video")
        expect(video).to_have_attribute("aria-label", "Vidéo de la personne")
        assert video.evaluate("v => v.src").startswith("blob:")
        if reason:
            page.get_by_role("button", name="Refuser la vérification").click()
            expect(page.locator("#revue-message")).to_contain_text("motif")
            page.get_by_label("Motif du refus").fill(reason)
            page.get_by_role("button", name="Refuser la vérification").click()
            expect(page.locator("#revue-message")).to_contain_text("informée")
            _sms_with(sms_folder, case["phone"], reason)
        else:
            page.get_by_role("button", name="Accepter la vérification").click()
            expect(page.locator("#revue-message")).to_contain_text("Identité vérifiée")
            _sms_with(sms_folder, case["phone"], "code d'activation")
        expect(page.locator("#demande")).to_be_hidden()
        expect(_row_of(page, case["identity_id"])).to_have_count(0)
    assert not blocked, blocked


def _row_of(page: Page, identity_id: str):
    return page.locator(f"#file-lignes tr[data-demande='{identity_id}']")


def _open(page: Page, identity_id: str) -> None:
    row = _row_of(page, identity_id)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Examiner").click()
    expect(page.locator("#demande")).to_be_visible()
