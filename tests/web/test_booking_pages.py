"""Inscription in headless Chromium: NEPH, search « Lyon », a pin, a slot, the cart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services.billing.provider import APPROVED, DECLINED
from services.candidates.application import CandidatesApplication
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.web.test_candidate_pages import sign_in_as


@pytest.fixture
def apps(settings):
    scheduling = SchedulingApplication(settings=settings)
    candidates = CandidatesApplication(settings=settings)
    yield scheduling, candidates
    scheduling.close()
    candidates.close()


def test_school_books_a_seat_from_the_map_and_removes_it_from_the_cart(
    page: Page, gateway: str, new_school, apps
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-LYON", "Lyon", 45.7578, 4.832)
    session = scheduling.schedule_session(site, next_weekday(2), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=9000)

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("NEPH du candidat").fill("999999999999")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#candidat-message")).to_have_text(
        "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."
    )
    page.get_by_label("NEPH du candidat").fill(neph)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Siège0")
    expect(page.get_by_label("Nom", exact=True)).to_have_attribute("readonly", "")

    page.get_by_label("Ville ou code postal").fill("Lyon")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#recherche-message")).to_contain_text("autour de Lyon")
    pin = page.locator(f"circle.epingle[data-centre='{site}']")
    pin.click()
    expect(page.locator("#titre-creneaux")).to_have_text("Créneaux — Centre Lyon")
    slot = page.locator(f"#liste-creneaux li[data-session='{session['id']}']")
    expect(slot).to_contain_text("18 place(s) libre(s)")
    slot.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator("#panier-message")).to_have_text(
        "Test Siège0 ajouté(e) au panier."
    )
    line = page.locator("#panier li[data-reservation]")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(f"NEPH {neph}")

    page.get_by_role("link", name="Réservations").click()
    page.get_by_label("Nom du candidat ou NEPH").fill("siège0")
    page.get_by_role("button", name="Rechercher").click()
    row = page.locator("#reservations tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("dans le panier")
    page.get_by_role("link", name="Inscription").click()
    line.get_by_role("button", name="Retirer").click()
    expect(page.locator("#panier-message")).to_contain_text("la place est libérée")
    expect(page.locator("#panier li[data-reservation]")).to_have_count(0)


def test_school_pays_by_card_and_downloads_convocation_and_invoice(
    page: Page, gateway: str, new_school, apps, tmp_path
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-PAY", "Lyon", 45.70, 4.95)
    session = scheduling.schedule_session(site, next_weekday(3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=9100)

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("NEPH du candidat").fill(neph)
    page.get_by_role("button", name="Valider").click()
    page.get_by_label("Ville ou code postal").fill("Lyon")
    page.get_by_role("button", name="Rechercher").click()
    page.locator(f"circle.epingle[data-centre='{site}']").click()
    slot = page.locator(f"#liste-creneaux li[data-session='{session['id']}']")
    slot.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator("#panier li[data-reservation]")).to_have_count(1)

    payment = page.locator("#form-paiement")
    payment.get_by_label("Numéro de carte").fill(DECLINED)
    payment.get_by_label("J'accepte les conditions générales de vente").check()
    payment.get_by_role("button", name="Payer le panier").click()
    expect(page.locator("#paiement-message")).to_contain_text("Paiement refusé")
    expect(page.locator("#panier li[data-reservation]")).to_have_count(1)

    payment.get_by_label("Numéro de carte").fill(APPROVED)
    payment.get_by_role("button", name="Payer le panier").click()
    expect(page.locator("#paiement-message")).to_have_text(
        "Merci d'avoir effectué vos inscriptions sur notre site, "
        "Celles-ci sont maintenant effectives."
    )
    expect(page.locator("#panier")).to_contain_text("Le panier est vide.")

    with page.expect_download() as convocation:
        page.get_by_role(
            "button", name="Télécharger la convocation de Test Siège0"
        ).click()
    assert convocation.value.suggested_filename == "convocation.pdf"
    saved = tmp_path / "convocation.pdf"
    convocation.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    with page.expect_download() as invoice:
        page.get_by_role("button", name="Télécharger la facture").click()
    assert invoice.value.suggested_filename == "facture.pdf"

    page.get_by_role("link", name="Paiements et factures").click()
    row = page.locator("#paiements tbody tr").first
    expect(row).to_contain_text("Carte bancaire")
    expect(row).to_contain_text("payé")
    with page.expect_download() as listed_invoice:
        row.get_by_role("button", name="Télécharger la facture").click()
    assert listed_invoice.value.suggested_filename == "facture.pdf"
