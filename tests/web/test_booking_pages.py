"""Inscription in headless Chromium: NEPH, search « Lyon », a pin, a slot, the cart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services.billing.provider import APPROVED, DECLINED
from services.candidates.application import CandidatesApplication
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.web.pages_tour import serious_violations, sideways_overflow
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
    expect(page.locator("#recherche-message")).to_contain_text("de Lyon (Rhône)")
    # Chosen from the list, the centre's pin shows on the map (its cluster opens).
    page.locator(f"#centres li[data-centre='{site}'] button").click()
    pin = page.locator(f".epingle[data-centre='{site}']")
    expect(pin).to_have_class(re.compile("choisi"))
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
    row = page.locator("#reservations tbody tr[data-reservation]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("dans le panier")
    page.get_by_role("link", name="Inscription").click()
    line.get_by_role("button", name="Retirer").click()
    question = page.get_by_role("dialog")
    expect(question).to_contain_text("Retirer Test Siège0 du panier ?")
    question.get_by_role("button", name="Annuler").click()
    expect(line).to_have_count(1)
    line.get_by_role("button", name="Retirer").click()
    page.get_by_role("dialog").get_by_role("button", name="Retirer du panier").click()
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
    page.locator(f"#centres li[data-centre='{site}'] button").click()
    slot = page.locator(f"#liste-creneaux li[data-session='{session['id']}']")
    slot.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator("#panier li[data-reservation]")).to_have_count(1)

    payment = page.locator("#form-paiement")
    payment.get_by_label("J'accepte les conditions générales de vente").check()
    # The provider's hosted fields refuse a number that is none: no payment.
    payment.get_by_label("Numéro de carte").fill("4242")
    payment.get_by_role("button", name="Payer le panier").click()
    expect(page.locator("#form-paiement-carte-erreur")).to_have_text(
        "Le numéro de carte n'est pas valide."
    )
    payment.get_by_label("Numéro de carte").fill(DECLINED)
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

    # Filled with a row, the tables still pass axe and fit a phone.
    for path in ("/espace/paiements", "/espace/reservations"):
        page.goto(f"{gateway}{path}")
        expect(page.locator("tbody tr").first).to_be_visible()
        assert serious_violations(page) == [], path
        page.set_viewport_size({"width": 360, "height": 740})
        assert sideways_overflow(page) == 0, path
        page.set_viewport_size({"width": 1200, "height": 900})


def test_the_cart_shows_prices_total_and_time_left_and_changes_a_slot(
    page: Page, gateway: str, new_school, apps
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-CART", "Lyon", 45.76, 4.85)
    first = scheduling.schedule_session(site, next_weekday(1), 18, COLLECTIVE)
    later = scheduling.schedule_session(site, next_weekday(1, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 2, first=9200)

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Lyon")
    page.get_by_role("button", name="Rechercher").click()
    page.locator(f"#centres li[data-centre='{site}'] button").click()
    for neph in nephs:
        page.get_by_label("NEPH du candidat").fill(neph)
        page.get_by_role("button", name="Valider").click()
        expect(page.get_by_label("Nom", exact=True)).not_to_have_value("")
        page.locator(f"#liste-creneaux li[data-session='{first['id']}']").get_by_role(
            "button", name="Ajouter au panier"
        ).click()
        expect(page.locator("#panier-message")).to_contain_text("ajouté(e) au panier")

    lines = page.locator("#panier li[data-reservation]")
    expect(lines).to_have_count(2)
    for i in range(2):
        expect(lines.nth(i)).to_contain_text(re.compile(r"30,00\s€ TTC"))
        expect(lines.nth(i)).to_contain_text(re.compile(r"expire dans (29|30) minutes"))
    expect(page.locator("#panier-total")).to_have_text(
        re.compile(r"Total : 60,00\s€ TTC pour 2 places\.")
    )
    expect(page.locator("#paiement-total")).to_have_text(
        re.compile(r"Total à payer : 60,00\s€ TTC \(2 places\)\.")
    )
    assert serious_violations(page) == []  # with the map, slots and cart shown

    # Siège1 goes one week later: « Choisir ce créneau » on the later slot.
    page.get_by_role("button", name="Changer de créneau pour Test Siège1").click()
    expect(page.locator("#panier-message")).to_contain_text(
        "Choisissez le nouveau créneau de Test Siège1"
    )
    page.locator(f"#liste-creneaux li[data-session='{later['id']}']").get_by_role(
        "button", name="Choisir ce créneau pour Test Siège1"
    ).click()
    expect(page.locator("#panier-message")).to_contain_text(
        "Créneau de Test Siège1 changé"
    )
    moved = page.locator("#panier li[data-reservation]", has_text="Siège1")
    expect(moved).to_have_count(1)
    day = later["starts_at"][:10]
    shown = page.evaluate(
        "d => new Intl.DateTimeFormat('fr-FR', {day: 'numeric', month: 'long',"
        " timeZone: 'Europe/Paris'}).format(new Date(d + 'T12:00:00'))",
        day,
    )
    expect(moved).to_contain_text(shown)
    expect(lines).to_have_count(2)
    expect(page.locator("#paiement-total")).to_contain_text("(2 places)")

    # The CGV the school accepts are a page it can read.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="conditions générales de vente").click()
    terms = opened.value
    expect(terms.get_by_role("heading", level=2)).to_have_text(
        "Conditions générales de vente"
    )
