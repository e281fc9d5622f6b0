"""« Paiements et factures » says a returned SEPA debit is unpaid, and why;
the reservations page no longer shows its seats confirmed (BI-1), in headless
Chromium against the real stack."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from playwright.sync_api import Page, expect

from services.billing.application import BillingApplication
from services.billing.projections import READ_MODELS
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_sepa_returns import BANK, PARIS
from tests.helpers import wait_for
from tests.sepa_files import Return, pain002
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import sign_in_as


def test_the_payments_page_shows_an_unpaid_debit_with_the_banks_reason(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    settings,
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-IMPAYE", "Lyon", 45.74, 4.86)
    session = scheduling.schedule_session(site, next_weekday(3, 3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=36500)
    assert hold(gateway, school, neph, session["id"]).status_code == 201
    paid = requests.post(
        f"{gateway}/api/paiement/sepa",
        json={"cgv": True, "cle": "sepa-page", **BANK},
        headers=school["headers"],
    )
    assert paid.status_code == 201, paid.text
    year = datetime.now(UTC).astimezone(PARIS).year
    end_to_end_id = f"F{year}{paid.json()['invoice_number']:06d}"

    billing = BillingApplication(settings=settings)
    try:
        billing.views["payment_list"] = (
            READ_MODELS["payment_list"].follower(billing).view
        )
        wait_for(
            lambda: billing.views["payment_list"].with_invoice(
                paid.json()["invoice_number"]
            )
        )
        billing.import_returns(pain002([Return(end_to_end_id, "MD06")]))
    finally:
        billing.close()

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/paiements")
    expect(page.locator("#paiements tbody tr")).to_contain_text(
        "impayé : remboursement demandé par le débiteur (MD06)"
    )
    page.goto(f"{gateway}/espace/reservations")
    expect(page.locator("body")).to_contain_text("annulée (prélèvement impayé)")
