"""Inscription › a full session in headless Chromium: « Liste d'attente »
queues the chosen candidate once (EX-2) and says their rank."""

from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.web.pages_tour import serious_violations
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import sign_in_as


def test_a_full_session_offers_the_waiting_list_and_queues_once(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
):
    scheduling, candidates = apps
    owner, school = new_school(), new_school()
    site = centre(scheduling, "PAGE-ATTENTE", "Bron", 45.7386, 4.9131)
    session = scheduling.schedule_session(site, next_weekday(3, 2), 1, COLLECTIVE)
    (taken,) = activated_files(candidates, owner, 1, first=48000)
    assert hold(gateway, owner, taken, session["id"]).status_code == 201
    (neph,) = activated_files(candidates, school, 1, first=48010)

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("NEPH du candidat").fill(neph)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Siège0")
    page.get_by_label("Ville ou code postal").fill("Bron")
    page.get_by_role("button", name="Rechercher").click()
    page.locator(f"#centres li[data-centre='{site}'] button").click()
    slot = page.locator(f"#liste-creneaux li[data-session='{session['id']}']")
    expect(slot).to_contain_text("0 place(s) libre(s)")
    expect(slot.get_by_role("button", name="Ajouter au panier")).to_be_disabled()
    wait = slot.get_by_role("button", name="Mettre en liste d'attente")
    assert serious_violations(page) == []
    wait.click()
    expect(page.locator("#panier-message")).to_have_text(
        "Test Siège0 est en liste d'attente (rang 1) : si une place se libère, "
        "elle sera mise dans votre panier et vous serez prévenu par e-mail."
    )
    # The candidate chosen again, a second click is refused in French.
    page.get_by_label("NEPH du candidat").fill(neph)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_label("Nom", exact=True)).to_have_value("Siège0")
    slot.get_by_role("button", name="Mettre en liste d'attente").click()
    expect(page.locator("#panier-message")).to_have_text(
        "Ce candidat est déjà en liste d'attente pour cette session."
    )
    expect(page.locator("#panier-message")).to_have_class("message erreur")
    entries = requests.get(
        f"{gateway}/api/liste-attente", headers=school["headers"]
    ).json()["items"]
    assert [(e["neph"], e["rank"]) for e in entries] == [(neph, 1)]
