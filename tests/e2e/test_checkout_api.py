"""Paying the cart by card against the real stack: confirmed once (BO-4, BI-1, BI-2)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
import requests

from services.billing.provider import APPROVED, DECLINED
from services.booking.application import BookingApplication
from services.common import contracts
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import publish_event, wait_for

PAID = (
    "Merci d'avoir effectué vos inscriptions sur notre site, "
    "Celles-ci sont maintenant effectives."
)


@pytest.fixture(scope="module")
def booking(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def _cart_of_two(gateway, school, scheduling, candidates, first: int) -> list[str]:
    site = centre(scheduling, "TEST-PAY", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(1, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 2, first=first)
    return [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]


def _pay(gateway, school, key: str, card: str = APPROVED, cgv: bool = True):
    return requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": cgv, "carte": card, "cle": key},
        headers=school["headers"],
    )


def _statuses(gateway, school) -> dict[str, str]:
    items = requests.get(f"{gateway}/api/reservations", headers=school["headers"])
    return {r["id"]: r["status"] for r in items.json()["items"]}


def test_a_paid_cart_is_confirmed_once_even_when_the_checkout_is_retried(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    lines = _cart_of_two(gateway, school, scheduling, candidates, first=5000)
    refused = _pay(gateway, school, "cle-a", cgv=False)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Vous devez accepter les conditions générales de vente."
    )
    declined = _pay(gateway, school, "cle-b", card=DECLINED)
    assert declined.status_code == 402
    assert declined.json()["code"] == "paiement_refuse"
    assert set(_statuses(gateway, school).values()) == {"dans le panier"}

    paid = _pay(gateway, school, "cle-c")
    assert paid.status_code == 201, paid.text
    assert paid.json()["message"] == PAID
    assert paid.json()["amount_cents"] == 6000
    assert sorted(paid.json()["reservation_ids"]) == sorted(lines)
    again = _pay(gateway, school, "cle-c")
    assert again.json()["invoice_number"] == paid.json()["invoice_number"]
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()
    assert cart["items"] == []


def test_payment_captured_delivered_three_times_confirms_once(
    gateway, new_school, scheduling, candidates, booking, settings
):
    school = new_school()
    lines = _cart_of_two(gateway, school, scheduling, candidates, first=6000)
    payload = {
        "checkout_id": uuid4(),
        "school_id": school["account"]["account_id"],
        "reservation_ids": [UUID(line) for line in lines],
        "amount_cents": 6000,
        "invoice_number": 999_999,
        "captured_at": datetime.now(UTC),
    }
    publish_event(
        settings.amqp_uri,
        "billing",
        contracts.PaymentCaptured,
        payload,
        position=9_000_000 + int(lines[0][:6], 16),
        times=3,
    )
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    for line in lines:
        history = booking.aggregate_history(UUID(line))
        kinds = [type(e).__qualname__ for e in history]
        assert kinds.count("Reservation.Confirmed") == 1, kinds
