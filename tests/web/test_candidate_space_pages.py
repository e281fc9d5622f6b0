"""The candidate confirms their file with a password, proves the e-mail and
phone by the codes received, and finds the file and its receipt (again and
again) in their own space (ID-6, seed 004)."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from tests.helpers import link_in, mails_to, one_line, pdf_text, sms_to, wait_for
from tests.web.pages_tour import serious_violations, sideways_overflow


def test_a_candidate_confirms_opens_an_account_and_downloads_the_receipt_twice(
    page: Page, gateway: str, mail_folder, sms_folder, new_school
):
    school = new_school()
    email = "lina.moreau@example.fr"
    created = requests.post(
        f"{gateway}/api/candidats",
        json={
            "neph": "190000000611",
            "civility": "MME",
            "birth_name": "Moreau",
            "given_names": "Lina",
            "birth_date": "14/02/2006",
            "email": email,
            "phone": "06 45 67 89 01",
        },
        headers=school["headers"],
    )
    assert created.status_code == 201, created.text
    mail = wait_for(lambda: mails_to(mail_folder, email), 30)[0]

    page.goto(link_in(mail, "candidat/activation"))
    expect(page.locator("#donnees")).to_contain_text("Moreau")
    expect(page.get_by_role("note")).to_contain_text("Relisez-vous !")
    # Each state of the candidate's pages passes axe, not only the empty ones
    # the tour of every page sees.
    assert serious_violations(page) == []
    expect(page.locator("#form-confirmation")).to_contain_text(
        "ne pas faire l'objet d'une suspension du permis de conduire"
    )
    page.get_by_label("n'accepte pas que ses données personnelles").check()
    page.get_by_label("atteste sur l'honneur").check()
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_role("button", name="Confirmer mon dossier").click()
    expect(page.locator("#dossier-message")).to_contain_text("incorrectes")
    page.get_by_label("Mot de passe").fill("Candidat2026")
    page.get_by_role("button", name="Confirmer mon dossier").click()
    expect(page.locator("#dossier-message")).to_contain_text(
        "votre compte personnel est créé"
    )
    page.get_by_role("link", name="Vérifier mon e-mail et mon téléphone").click()
    expect(page.locator("#verification")).to_be_visible()
    assert serious_violations(page) == []

    coded = wait_for(
        lambda: [
            m
            for m in mails_to(mail_folder, email)
            if m["Subject"] == "Votre code de vérification"
        ],
        30,
    )[0]
    email_code = re.search(r"ce code : (\d{6})", coded.get_content()).group(1)
    texts = wait_for(
        lambda: [
            t for t in sms_to(sms_folder, "+33645678901") if "code de vérification" in t
        ],
        30,
    )
    phone_code = re.search(r"est (\d{6})\.", texts[-1]).group(1)

    page.get_by_label("Code reçu par e-mail (6 chiffres)").fill(email_code)
    page.get_by_role("button", name="Vérifier mon e-mail").click()
    expect(page.locator("#espace-message")).to_contain_text("e-mail est vérifiée")
    page.get_by_label("Code reçu par SMS (6 chiffres)").fill(phone_code)
    page.get_by_role("button", name="Vérifier mon téléphone").click()
    expect(page.locator("#espace-message")).to_contain_text("téléphone est vérifié")
    expect(page.locator("#verification")).to_be_hidden()

    item = page.locator("#liste-dossiers li")
    expect(item).to_contain_text("État : activé")
    expect(item).to_contain_text("190000000611")
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 740})
    assert sideways_overflow(page) == 0
    page.set_viewport_size({"width": 1200, "height": 900})
    for _ in range(2):  # the receipt, again at any time
        with page.expect_download() as download:
            item.get_by_role("button", name="Télécharger mon récépissé (PDF)").click()
        text = one_line(pdf_text(Path(download.value.path()).read_bytes()))
        assert "Moreau" in text and "conservé" in text
        assert "fins d'information : refusée" in text

    # Signed out, the space asks to sign in again.
    page.get_by_role("button", name="Me déconnecter").click()
    expect(page.locator("#espace-message")).to_contain_text("déconnecté")
    page.reload()
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Mot de passe").fill("Candidat2026")
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator("#liste-dossiers li")).to_contain_text("État : activé")
