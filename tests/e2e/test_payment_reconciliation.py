"""Payments always come to an end, against the real stack (BI-1, BI-2, TR-3).

A card payment the provider could not settle is reconciled with it by the
billing service after PMC_PAYMENT_RECONCILE_SECONDS: the test moves the clock
of every process (the shared offset file) instead of waiting."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
import requests

from services.billing.application import BillingApplication
from services.billing.domain import Checkout
from services.billing.provider import (
    APPROVED_TOKEN,
    PROVIDER_FAILURE_TOKEN,
    ProviderError,
    SimulatedCardProvider,
)
from services.billing.simulator import PostgresLedger
from tests.e2e.test_checkout_api import _cart_of_two, _pay, _statuses, payments_of
from tests.helpers import wait_for

PAID = (
    "Merci d'avoir effectué vos inscriptions sur notre site, "
    "Celles-ci sont maintenant effectives."
)


@pytest.fixture(scope="module")
def ledger(settings):
    """The provider's side: what the card simulator charged."""
    billing = BillingApplication(settings=settings)
    assert isinstance(billing.provider.ledger, PostgresLedger)
    yield billing.provider.ledger
    billing.close()


def charges(ledger: PostgresLedger, *checkout_ids: str) -> list[tuple[str, int]]:
    keys = {f"{checkout_id}:authorise" for checkout_id in checkout_ids}
    return [
        (p["status"], p["amount_cents"])
        for p in ledger.all_payments()
        if p["authorise_key"] in keys
    ]


def test_a_provider_failure_is_abandoned_then_the_seats_are_paid_once(
    gateway, new_school, scheduling, candidates, settings, travel, ledger
):
    school = new_school()
    _cart_of_two(gateway, school, scheduling, candidates, first=31000)
    school_id = school["account"]["account_id"]
    key = f"panne-{uuid4()}"

    pending = _pay(gateway, school, key, card=PROVIDER_FAILURE_TOKEN)
    assert pending.status_code == 202, pending.text
    assert pending.json()["status"] == "en cours"
    assert "Paiement en cours de vérification" in pending.json()["message"]
    # Meanwhile the seats are not payable under another key (they may be charged)
    other = _pay(gateway, school, f"autre-{uuid4()}")
    assert other.status_code == 409
    assert "en cours de paiement" in other.json()["message"]
    assert _pay(gateway, school, key, card=PROVIDER_FAILURE_TOKEN).status_code == 202
    rows = wait_for(lambda: payments_of(gateway, school))
    assert [r["status"] for r in rows] == ["en cours"]

    travel(timedelta(seconds=settings.payment_reconcile_seconds + 1))
    wait_for(
        lambda: [r["status"] for r in payments_of(gateway, school)] == ["abandonné"],
        timeout=30,
    )
    again = _pay(gateway, school, key, card=PROVIDER_FAILURE_TOKEN)
    assert again.status_code == 409
    assert again.json()["code"] == "paiement_abandonne"
    assert "aucun montant n'a été débité" in again.json()["message"]

    new_key = f"nouvelle-{uuid4()}"
    paid = _pay(gateway, school, new_key)
    assert paid.status_code == 201, paid.text
    assert paid.json()["message"] == PAID
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    abandoned = Checkout.create_id(school_id, key)
    paid_id = Checkout.create_id(school_id, new_key)
    assert charges(ledger, abandoned, paid_id) == [("captured", 6000)]


class CaptureAnswerLost(SimulatedCardProvider):
    """Captured by the provider, then billing stopped before recording it."""

    def capture(self, authorisation_id: str, idempotency_key: str):
        super().capture(authorisation_id, idempotency_key)
        raise ProviderError("arrêt du processus")


def test_a_payment_captured_but_not_recorded_is_finished_as_a_success(
    gateway, new_school, scheduling, candidates, settings, travel, ledger
):
    school = new_school()
    _cart_of_two(gateway, school, scheduling, candidates, first=32000)
    lines = requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()
    school_id = school["account"]["account_id"]
    # The checkout starts as the service starts it, on the same store and the
    # same provider ledger; the answer of the capture is lost.
    crashed = BillingApplication(settings=settings, provider=CaptureAnswerLost(ledger))
    pending = crashed.pay_by_card(school_id, "coupure", lines["items"], APPROVED_TOKEN)
    crashed.close()
    assert pending["status"] == "en cours"
    checkout_id = Checkout.create_id(school_id, "coupure")
    assert charges(ledger, checkout_id) == [("captured", 6000)]

    travel(timedelta(seconds=settings.payment_reconcile_seconds + 1))
    row = wait_for(
        lambda: [r for r in payments_of(gateway, school) if r["status"] == "payé"],
        timeout=30,
    )[0]
    assert row["invoice_number"] is not None
    # Finished exactly as a normal success: the reservations are confirmed.
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    assert _pay(gateway, school, "coupure").json()["status"] == "payé"
    assert charges(ledger, checkout_id) == [("captured", 6000)]
