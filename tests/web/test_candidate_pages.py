"""The school creates a candidate; the candidate confirms from the e-mail; the
school's list shows « activé » (CA-1, CA-3, CA-5)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.helpers import link_in, mails_to, pdf_text, wait_for


def sign_in_as(page: Page, gateway: str, school: dict) -> None:
    page.goto(f"{gateway}/")
    token = school["headers"]["Authorization"].split(" ", 1)[1]
    page.evaluate("t => sessionStorage.setItem('pmc-jeton', t)", token)


def create_from_page(page: Page, neph: str, person: dict[str, str]) -> None:
    form = page.locator("#creation")
    form.get_by_label("NEPH").fill(neph)
    form.get_by_label("Civilité").select_option(person["civility"])
    form.get_by_label("Nom de naissance").fill(person["birth_name"])
    form.get_by_label("Prénoms (tous)").fill(person["given_names"])
    form.get_by_label("Date de naissance (JJ/MM/AAAA)").fill(person["birth_date"])
    form.get_by_label("Adresse e-mail").fill(person["email"])
    form.get_by_role("button", name="Créer le dossier").click()


def test_school_creates_candidate_who_confirms_and_the_list_shows_it_active(
    page: Page, browser, gateway: str, mail_folder, new_school
):
    school = new_school()
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    create_from_page(
        page,
        "190000000001",
        {
            "civility": "M",
            "birth_name": "Petitjean",
            "given_names": "Karim Louis",
            "birth_date": "05/09/2007",
            "email": "karim.petitjean@example.fr",
        },
    )
    expect(page.locator("#creation-message")).to_contain_text("Dossier créé")
    row = page.locator("#liste tbody tr[data-neph='190000000001']")
    expect(row).to_contain_text("en attente de la validation de l'adresse e-mail")

    mail = wait_for(lambda: mails_to(mail_folder, "karim.petitjean@example.fr"), 30)[0]
    candidate = browser.new_page()
    candidate.goto(link_in(mail, "candidat/activation"))
    expect(candidate.locator("#donnees")).to_contain_text("Petitjean")
    # The token came in the fragment, and left the address bar once read;
    # reloading the page still shows the file.
    assert "jeton" not in candidate.url
    candidate.reload()
    expect(candidate.locator("#donnees")).to_contain_text("Petitjean")
    expect(candidate.locator("#donnees")).to_contain_text("05/09/2007")
    confirm = candidate.get_by_role("button", name="Confirmer mon dossier")
    confirm.click()
    expect(candidate.locator("#form-confirmation-attestation-erreur")).to_be_visible()
    candidate.get_by_label("atteste sur l'honneur").check()
    confirm.click()
    expect(candidate.locator("#dossier-message")).to_contain_text(
        "Votre dossier est activé. Numéro de demande : D"
    )
    own = candidate.get_by_role("link", name="Télécharger mon récépissé (PDF)")
    expect(own).to_be_visible()
    # Downloaded by POST: its token is in no address.
    with candidate.expect_download() as download:
        own.click()
    assert "Petitjean" in pdf_text(Path(download.value.path()).read_bytes())
    candidate.close()

    page.reload()
    expect(row).to_contain_text("activé")
    expect(row).not_to_contain_text("en attente")

    # The school keeps the receipt of what its candidate confirmed.
    with page.expect_download() as download:
        row.get_by_role("button", name="Récépissé — Karim Louis Petitjean").click()
    receipt = pdf_text(Path(download.value.path()).read_bytes())
    assert "Petitjean" in receipt and "190000000001" in receipt

    page.get_by_label("Rechercher par nom ou NEPH").fill("petitjean")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#liste tbody tr")).to_have_count(1)


def test_school_edits_a_candidates_contact_data(page: Page, gateway: str, new_school):
    school = new_school()
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    create_from_page(
        page,
        "190000000002",
        {
            "civility": "MME",
            "birth_name": "Roussel",
            "given_names": "Inès",
            "birth_date": "11/11/2006",
            "email": "ines.roussel@example.fr",
        },
    )
    row = page.locator("#liste tbody tr[data-neph='190000000002']")
    row.get_by_role("button", name="Modifier").click()
    contact = page.locator("#contact")
    expect(contact.get_by_label("Adresse e-mail")).to_have_value(
        "ines.roussel@example.fr"
    )
    contact.get_by_label("Téléphone").fill("07 00 00 00 0")
    contact.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.locator("#contact-phone-erreur")).to_have_text(
        "Le numéro de téléphone n'est pas valide."
    )
    contact.get_by_label("Téléphone").fill("06 12 34 56 78")
    contact.get_by_role("button", name="Enregistrer les coordonnées").click()
    expect(page.locator("#contact-message")).to_have_text("Coordonnées enregistrées.")
