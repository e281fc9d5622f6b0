"""Finding a session as a secretary would: which Saint-Denis, how far, when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import next_weekday
from tests.e2e.test_search_api import overseas_centre
from tests.web.test_candidate_pages import sign_in_as


@pytest.fixture
def scheduling(settings):
    app = SchedulingApplication(settings=settings)
    yield app
    app.close()


def test_saint_denis_asks_which_one_then_shows_reunion_centres_only(
    page: Page, gateway: str, new_school, scheduling
):
    reunion = overseas_centre(
        scheduling, "TEST-SD-974", "Saint-Denis", "97400", -20.8821, 55.4507
    )
    paris = overseas_centre(
        scheduling, "TEST-SD-93", "Saint-Denis", "93200", 48.9362, 2.3574
    )
    day = next_weekday(4, 2)
    for site in (reunion, paris):
        scheduling.schedule_session(site, day, 10, COLLECTIVE)

    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Saint-Denis")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#recherche-message")).to_have_text(
        "Plusieurs communes s'appellent « Saint-Denis » : laquelle ?"
    )
    towns = page.locator("#communes")
    expect(towns.get_by_role("button", name="Saint-Denis — Seine-Saint-Denis (93)"))
    towns.get_by_role("button", name="Saint-Denis — La Réunion (974)").click()
    expect(page.locator("#recherche-message")).to_contain_text(
        "à moins de 100 km de Saint-Denis (La Réunion)"
    )
    listed = page.locator("#centres li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Centre Saint-Denis 974")
    expect(page.get_by_role("button", name="Élargir la recherche à 200 km"))


def test_a_reversed_or_too_distant_period_is_explained(
    page: Page, gateway: str, new_school
):
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Lyon")
    start = next_weekday(0, 2).date()
    page.get_by_label("À partir du").fill(start.isoformat())
    page.get_by_label("Avant le").fill((start - timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#recherche-message")).to_have_text(
        "La date « Avant le » doit être postérieure à la date « À partir du »."
    )
    page.get_by_label("À partir du").fill((start + timedelta(days=200)).isoformat())
    page.get_by_label("Avant le").fill("")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#recherche-message")).to_contain_text(
        "Les sessions se réservent au plus 3 mois à l'avance"
    )


def test_the_map_clusters_close_centres_opens_them_and_shows_slots_beside(
    page: Page, gateway: str, new_school, scheduling
):
    here = overseas_centre(
        scheduling, "TEST-MAP-NANTES-1", "Nantes", "44000", 47.2184, -1.5536
    )
    near = overseas_centre(
        scheduling, "TEST-MAP-NANTES-2", "Nantes", "44100", 47.2230, -1.5600
    )
    reunion = overseas_centre(
        scheduling, "TEST-SD-974", "Saint-Denis", "97400", -20.8821, 55.4507
    )
    day = next_weekday(3, 3)
    for site in (here, near, reunion):
        scheduling.schedule_session(site, day, 10, COLLECTIVE)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(gateway) else elsewhere.append(r.url),
    )

    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Nantes")
    page.get_by_role("button", name="Rechercher").click()
    main = page.locator(".carte-principale")
    expect(main.locator(".leaflet-overlay-pane path").first).to_be_visible()
    expect(page.get_by_role("button", name="Zoomer").first).to_be_visible()
    cluster = main.locator(".grappe").first
    expect(cluster).to_be_visible()
    cluster.click()  # zooms in until the close centres part
    pin = main.locator(f".epingle[data-centre='{here}']")
    expect(pin).to_be_visible()
    pin.click()
    slots = page.locator("#creneaux")
    expect(page.locator("#titre-creneaux")).to_have_text("Créneaux — Centre Nantes 440")
    map_box, slots_box = main.bounding_box(), slots.bounding_box()
    assert slots_box["x"] >= map_box["x"] + map_box["width"]  # beside the map
    assert slots_box["y"] < map_box["y"] + map_box["height"]

    # An overseas search puts its pins on the island's inset.
    page.get_by_label("Ville ou code postal").fill("97400")
    page.get_by_role("button", name="Rechercher").click()
    inset = page.locator(".carte-encart[data-territoire='974']")
    expect(inset.locator(f".epingle[data-centre='{reunion}']")).to_be_visible()
    assert elsewhere == []  # the map needs no internet


def test_a_centre_beyond_100_km_shows_once_the_search_is_widened(
    page: Page, gateway: str, new_school, scheduling
):
    orleans = overseas_centre(
        scheduling, "TEST-W-ORLEANS", "Orléans", "45000", 47.9029, 1.9093
    )
    scheduling.schedule_session(orleans, next_weekday(0, 3), 10, COLLECTIVE)

    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Paris")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#recherche-message")).to_contain_text(
        "à moins de 100 km de Paris (Paris)"
    )
    expect(page.locator(f"#centres li[data-centre='{orleans}']")).to_have_count(0)
    page.get_by_role("button", name="Élargir la recherche à 200 km").click()
    expect(page.locator("#recherche-message")).to_contain_text(
        "à moins de 200 km de Paris"
    )
    expect(page.locator(f"#centres li[data-centre='{orleans}']")).to_contain_text(
        "Centre Orléans 450"
    )
