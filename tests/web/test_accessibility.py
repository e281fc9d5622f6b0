"""Every page, with a keyboard, a screen reader and a phone (GW-2)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.pages_tour import serious_violations, sideways_overflow, tour
from tests.web.test_candidate_pages import sign_in_as


def test_axe_finds_no_serious_or_critical_problem_on_any_page(
    page: Page, gateway: str, new_school
):
    found = {
        path: problems
        for path in tour(page, gateway, new_school())
        if (problems := serious_violations(page))
    }
    assert found == {}


def test_no_page_scrolls_sideways_on_a_phone(browser, gateway: str, new_school):
    school = new_school()
    for width, height in ((390, 844), (360, 740)):
        context = browser.new_context(
            locale="fr-FR", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        wider = {
            path: overflow
            for path in tour(page, gateway, school)
            if (overflow := sideways_overflow(page))
        }
        context.close()
        assert wider == {}, f"{width} px wide: {wider}"


def test_the_sign_in_form_is_three_tab_presses_away(page: Page, gateway: str):
    page.goto(f"{gateway}/")
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('#form-connexion')"):
            break
    assert page.evaluate("() => !!document.activeElement.closest('#form-connexion')")
    expect(page.get_by_label("Professionnel")).to_be_focused()


def test_the_focus_ring_shows_on_the_yellow_header(
    page: Page, gateway: str, new_school
):
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/candidats")
    page.keyboard.press("Tab")  # « Aller au contenu »
    page.keyboard.press("Tab")  # the site's name, in the header
    focused = page.evaluate(
        """() => {
          const el = document.activeElement, style = getComputedStyle(el);
          return { inHeader: !!el.closest("header"), style: style.outlineStyle,
                   ring: style.outlineColor, width: parseFloat(style.outlineWidth),
                   header: getComputedStyle(el.closest("header") || document.body)
                     .backgroundColor };
        }"""
    )
    assert focused["inHeader"]
    assert focused["style"] == "solid" and focused["width"] >= 2
    assert focused["ring"] != focused["header"]


def test_search_results_and_map_fit_a_phone(browser, gateway: str, new_school):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/inscription")
    page.get_by_label("Ville ou code postal").fill("Lyon")
    page.get_by_role("button", name="Rechercher").click()
    expect(
        page.locator(".carte-principale .leaflet-overlay-pane path").first
    ).to_be_visible()
    expect(page.locator("#recherche-message")).to_contain_text("Lyon (Rhône)")
    try:
        assert sideways_overflow(page) == 0
        assert serious_violations(page) == []
    finally:
        context.close()


def test_on_a_phone_the_menu_fits_and_inscription_is_a_few_screens_tall(
    browser, gateway: str, new_school
):
    # Before: the menu ran to 788 px wide and Inscription to 9,474 px tall.
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        sign_in_as(page, gateway, new_school())
        page.goto(f"{gateway}/espace/inscription")
        page.wait_for_load_state("networkidle")
        menu = page.get_by_role("navigation", name="Espace client").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height <= 3 * 844, f"Inscription is {height} px tall"
    finally:
        context.close()
