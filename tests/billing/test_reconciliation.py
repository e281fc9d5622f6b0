"""Card checkouts left « en cours » are settled with the provider (BI-2, TR-3).

The clock is frozen and moved by hand; the provider is the simulator of its
test mode (the only thing outside the platform)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from services.billing.application import BillingApplication
from services.billing.domain import ABANDONED, CAPTURED, STARTED, Checkout
from services.billing.projections import READ_MODELS
from services.billing.provider import (
    APPROVED_TOKEN,
    PROVIDER_FAILURE_TOKEN,
    ProviderError,
    SimulatedCardProvider,
)
from services.common.clock import FrozenClock
from tests.billing.test_checkout import cart

DELAY = 300


class Reconciler:
    """Billing with its payment list projected, as the service runs it."""

    def __init__(self, settings, provider) -> None:
        self.clock = FrozenClock()
        self.app = BillingApplication(
            settings=settings, clock=self.clock, provider=provider
        )
        self.follower = READ_MODELS["payment_list"].follower(self.app)
        self.app.views["payment_list"] = self.follower.view

    def sweep(self) -> dict[str, list[str]]:
        self.follower.run_until_caught_up()
        return self.app.reconcile()

    def close(self) -> None:
        self.follower.release()
        self.app.close()


class CaptureAnswerLost(SimulatedCardProvider):
    """The provider captures, then its answer never reaches billing (a crash,
    a cut connection): billing cannot tell whether the card was charged."""

    def capture(self, authorisation_id: str, idempotency_key: str):
        super().capture(authorisation_id, idempotency_key)
        raise ProviderError("connexion perdue")


class DownBeforeCapture(SimulatedCardProvider):
    """Authorised, then the provider is unreachable: nothing captured."""

    def capture(self, authorisation_id: str, idempotency_key: str):
        raise ProviderError("le prestataire de paiement ne répond pas")


@pytest.fixture
def run(settings):
    made = []

    def make(provider) -> Reconciler:
        made.append(Reconciler(settings, provider))
        return made[-1]

    yield make
    for reconciler in made:
        reconciler.close()


def school() -> str:
    return f"ecole-{uuid4().hex[:8]}"


def test_a_provider_failure_is_abandoned_after_the_delay_then_paid_once(run):
    provider = SimulatedCardProvider()
    billing = run(provider)
    who, lines = school(), cart(2)
    pending = billing.app.pay_by_card(who, "k-panne", lines, PROVIDER_FAILURE_TOKEN)
    assert pending["status"] == STARTED
    # Not before the delay: the provider may still answer a retry.
    billing.clock.advance(timedelta(seconds=DELAY - 1))
    assert pending["id"] not in billing.sweep()[ABANDONED]
    with pytest.raises(Exception, match="déjà payées ou en cours"):
        billing.app.pay_by_card(who, "k-autre", lines, APPROVED_TOKEN)
    billing.clock.advance(timedelta(seconds=2))
    assert pending["id"] in billing.sweep()[ABANDONED]
    abandoned = billing.app.checkout(who, "k-panne")
    assert abandoned["status"] == ABANDONED
    # The same seats, a new key: charged once.
    paid = billing.app.pay_by_card(who, "k-nouvelle", lines, APPROVED_TOKEN)
    assert paid["status"] == CAPTURED
    assert provider.captures == 1
    assert provider.captured_cents == 6000
    # The old key answers its own, final outcome, and charges nothing.
    again = billing.app.pay_by_card(who, "k-panne", lines, PROVIDER_FAILURE_TOKEN)
    assert again["status"] == ABANDONED
    assert provider.captures == 1
    billing.follower.run_until_caught_up()
    rows = billing.app.payments(who)
    assert sorted(r["status"] for r in rows) == sorted([ABANDONED, CAPTURED])


def test_a_capture_whose_answer_was_lost_is_finished_as_a_success(run):
    provider = CaptureAnswerLost()
    billing = run(provider)
    who, lines = school(), cart(3)
    assert billing.app.pay_by_card(who, "k", lines, APPROVED_TOKEN)["status"] == STARTED
    billing.clock.advance(timedelta(seconds=DELAY))
    checkout_id = str(Checkout.create_id(who, "k"))
    assert checkout_id in billing.sweep()[CAPTURED]
    finished = billing.app.repository.get(Checkout.create_id(who, "k"))
    assert finished.status == CAPTURED
    assert finished.invoice_number is not None
    # Finished exactly as a normal success: PaymentCaptured goes to booking.
    events = billing.app.aggregate_history(finished.id)
    assert type(events[-1]) is Checkout.Captured
    assert provider.captures == 1 and provider.captured_cents == 9000
    assert checkout_id not in billing.sweep()[CAPTURED]  # settled once


def test_an_authorisation_never_captured_is_voided_and_the_seats_freed(run):
    provider = DownBeforeCapture()
    billing = run(provider)
    who, lines = school(), cart(1)
    assert billing.app.pay_by_card(who, "k", lines, APPROVED_TOKEN)["status"] == STARTED
    billing.clock.advance(timedelta(seconds=DELAY))
    billing.sweep()
    assert billing.app.checkout(who, "k")["status"] == ABANDONED
    found = provider.lookup(f"{Checkout.create_id(who, 'k')}:authorise")
    assert found is not None and found.status == "voided"
    # A capture arriving late for the voided authorisation takes nothing.
    with pytest.raises(ProviderError):
        SimulatedCardProvider.capture(provider, found.authorisation_id, "late")
    assert provider.captures == 0
    assert (
        billing.app.pay_by_card(who, "k2", lines, APPROVED_TOKEN)["status"] == STARTED
    )
    assert provider.captures == 0  # this provider never captures


def test_a_retry_keeps_the_checkout_from_being_abandoned_under_it(run):
    provider = SimulatedCardProvider()
    billing = run(provider)
    who, lines = school(), cart(1)
    billing.app.pay_by_card(who, "k", lines, PROVIDER_FAILURE_TOKEN)
    billing.clock.advance(timedelta(seconds=DELAY - 10))
    billing.app.pay_by_card(who, "k", lines, PROVIDER_FAILURE_TOKEN)  # a retry
    billing.clock.advance(timedelta(seconds=20))
    checkout_id = str(Checkout.create_id(who, "k"))
    assert checkout_id not in billing.sweep()[ABANDONED]  # asked 20 s ago
    billing.clock.advance(timedelta(seconds=DELAY))
    assert checkout_id in billing.sweep()[ABANDONED]


def test_the_provider_remembers_its_charges_when_billing_restarts(settings):
    """The simulator's ledger is in PostgreSQL, like a provider's own records."""
    who, lines = school(), cart(2)
    first = BillingApplication(settings=settings)
    paid = first.pay_by_card(who, "k", lines, APPROVED_TOKEN)
    first.close()
    again = BillingApplication(settings=settings)
    assert again.pay_by_card(who, "k", lines, APPROVED_TOKEN) == paid
    key = f"{Checkout.create_id(who, 'k')}:authorise"
    charges = [
        p for p in again.provider.ledger.all_payments() if p["authorise_key"] == key
    ]
    assert [(c["status"], c["amount_cents"]) for c in charges] == [("captured", 6000)]
    again.close()
