"""The payment block while the provider is unsure, and retries after a lost
answer, in headless Chromium against the real stack (BI-2, TR-3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from services.billing.application import BillingApplication
from services.billing.domain import Checkout
from services.billing.provider import APPROVED, PROVIDER_FAILURE
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import travel  # noqa: F401
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import create_from_page, sign_in_as

PAID = (
    "Merci d'avoir effectué vos inscriptions sur notre site, "
    "Celles-ci sont maintenant effectives."
)


@pytest.fixture
def ledger(settings):
    billing = BillingApplication(settings=settings)
    yield billing.provider.ledger
    billing.close()


def test_the_page_says_a_payment_is_being_verified_then_pays_once(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    travel,  # noqa: F811
    settings,
    ledger,
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-VERIF", "Lyon", 45.72, 4.90)
    session = scheduling.schedule_session(site, next_weekday(4, 3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=36000)
    held = requests.post(
        f"{gateway}/api/panier",
        json={"neph": neph, "session": session["id"]},
        headers=school["headers"],
    )
    assert held.status_code == 201, held.text

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/inscription")
    expect(page.locator("#panier li[data-reservation]")).to_have_count(1)
    form = page.locator("#form-paiement")
    form.get_by_label("Numéro de carte").fill(PROVIDER_FAILURE)
    form.get_by_label("J'accepte les conditions générales de vente").check()
    keys = []
    for _ in range(2):  # the school tries again: the same payment, the same key
        with page.expect_response("**/api/paiement/carte") as answered:
            form.get_by_role("button", name="Payer le panier").click()
        assert answered.value.status == 202
        keys.append(answered.value.request.post_data_json["cle"])
        message = page.locator("#paiement-message")
        expect(message).to_contain_text("Paiement en cours de vérification")
        expect(message).to_have_class("message attente")
    assert keys[0] == keys[1]
    # « Paiements et factures », in another tab, says the same meanwhile.
    listing = page.context.new_page()
    sign_in_as(listing, gateway, school)
    listing.goto(f"{gateway}/espace/paiements")
    expect(listing.locator("#paiements tbody tr")).to_contain_text(
        "en cours de vérification"
    )
    listing.close()

    travel(timedelta(seconds=settings.payment_reconcile_seconds + 1))
    expect(page.locator("#paiement-message")).to_contain_text(
        "Ce paiement n'a pas abouti : aucun montant n'a été débité.", timeout=45_000
    )
    form.get_by_label("Numéro de carte").fill(APPROVED)
    with page.expect_request("**/api/paiement/carte") as sent:
        form.get_by_role("button", name="Payer le panier").click()
    keys.append(sent.value.post_data_json["cle"])
    assert sent.value.headers["idempotency-key"] == keys[-1] != keys[0]
    # The page sent the provider's token, never the card number.
    assert sent.value.post_data_json["jeton"].startswith("tok_")
    assert APPROVED not in sent.value.post_data
    expect(page.locator("#paiement-message")).to_have_text(PAID)
    school_id = school["account"]["account_id"]
    authorised = {f"{Checkout.create_id(school_id, k)}:authorise" for k in keys}
    charged = [
        (p["status"], p["amount_cents"])
        for p in ledger.all_payments()
        if p["authorise_key"] in authorised
    ]
    assert charged == [("captured", 3000)]


def test_a_candidate_created_again_after_a_lost_answer_is_created_once(
    page: Page, gateway: str, new_school
):
    school = new_school()
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    sent_keys = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent_keys.append(route.request.headers.get("idempotency-key"))
        if len(sent_keys) == 1:
            route.fetch()  # the platform does it; the answer never comes back
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/candidats", lose_first_answer)
    person = {
        "civility": "MME",
        "birth_name": "Rivière",
        "given_names": "Inès",
        "birth_date": "12/04/2007",
        "email": "ines.riviere@example.fr",
    }
    create_from_page(page, "370000000001", person)
    expect(page.locator("#creation-message")).to_contain_text("injoignable")
    page.locator("#creation").get_by_role("button", name="Créer le dossier").click()
    expect(page.locator("#creation-message")).to_contain_text("Dossier créé")
    assert sent_keys[0] and sent_keys[0] == sent_keys[1]
    listed = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    assert [c["neph"] for c in listed.json()["items"]] == ["370000000001"]
