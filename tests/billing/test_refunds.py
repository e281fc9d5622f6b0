"""Refunds of cancelled reservations on the real PostgreSQL (BI-4, EX-4):
once per reservation whatever the redeliveries, through the provider's
refund, with a credit note numbered in its own gapless sequence."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from services.billing.application import BillingApplication
from services.billing.credit_notes import CreditNoteNotFound
from services.billing.domain import Refund
from services.billing.provider import (
    APPROVED_TOKEN,
    ProviderError,
    SimulatedCardProvider,
)
from tests.billing.test_checkout import cart
from tests.helpers import one_line, pdf_text


@pytest.fixture
def provider() -> SimulatedCardProvider:
    return SimulatedCardProvider()


@pytest.fixture
def billing(settings, provider):
    app = BillingApplication(settings=settings, provider=provider)
    yield app
    app.close()


def _cancelled(paid: dict, school: str, line: int = 0, **changes) -> SimpleNamespace:
    """booking's ReservationCancelled, as the consumer hands it over."""
    payload = {
        "reservation_id": UUID(paid["reservation_ids"][line]),
        "school_id": school,
        "checkout_id": UUID(paid["id"]),
        "refund_cents": 3000,
        **changes,
    }
    return SimpleNamespace(
        payload=payload,
        tracking=Tracking(
            application_name="booking>test", notification_id=random.getrandbits(40)
        ),
    )


def _paid(billing) -> tuple[str, dict]:
    school = f"ecole-{secrets.token_hex(3)}"
    paid = billing.pay_by_card(school, "cle", cart(2), APPROVED_TOKEN)
    return school, paid


def test_a_cancelled_seat_is_refunded_once_with_a_credit_note(billing, provider):
    school, lines = f"ecole-{secrets.token_hex(3)}", cart(2)
    paid = billing.pay_by_card(school, "cle", lines, APPROVED_TOKEN)
    taken = provider.captured_cents
    # The second line of the cart: its place in the payment's (sorted) ids
    # says nothing of its place on the invoice.
    second = paid["reservation_ids"].index(lines[1]["id"])
    cancelled = _cancelled(paid, school, second)
    refund_id = billing.on_reservation_cancelled(cancelled)
    # Redelivered (another message position, as after a crash): nothing more.
    assert (
        billing.on_reservation_cancelled(_cancelled(paid, school, second)) == refund_id
    )
    assert provider.captured_cents == taken - 3000
    refund = billing.repository.get(UUID(refund_id))
    assert refund.amount_cents == 3000
    text = one_line(
        pdf_text(billing.credit_note_pdf(school, cancelled.payload["reservation_id"]))
    )
    year = datetime.now(UTC).year
    assert f"Facture d'avoir n° A{year}-{refund.credit_note_number:06d}" in text
    assert f"Avoir sur la facture n° F{year}-{paid['invoice_number']:06d}" in text
    assert "Candidat 1 (NEPH 000000000001)" in text
    assert "Candidat 0" not in text
    assert "30,00 €" in text


def test_credit_notes_follow_one_gapless_sequence(billing):
    school, paid = _paid(billing)
    first = billing.repository.get(
        UUID(billing.on_reservation_cancelled(_cancelled(paid, school, 0)))
    )
    second = billing.repository.get(
        UUID(billing.on_reservation_cancelled(_cancelled(paid, school, 1)))
    )
    assert second.credit_note_number == first.credit_note_number + 1


def test_the_refund_is_the_snapshot_never_more_than_paid(billing, provider):
    school, paid = _paid(billing)
    refund_id = billing.on_reservation_cancelled(
        _cancelled(paid, school, refund_cents=1500)
    )
    assert billing.repository.get(UUID(refund_id)).amount_cents == 1500
    refund_id = billing.on_reservation_cancelled(
        _cancelled(paid, school, 1, refund_cents=999_999)
    )
    unit = billing.repository.get(UUID(paid["id"])).unit_price_cents
    assert billing.repository.get(UUID(refund_id)).amount_cents == unit


def test_nothing_is_refunded_for_another_schools_payment(billing, provider):
    school, paid = _paid(billing)
    taken = provider.captured_cents
    assert billing.on_reservation_cancelled(_cancelled(paid, "ecole-autre")) is None
    assert provider.captured_cents == taken
    with pytest.raises(CreditNoteNotFound):
        billing.credit_note_pdf(school, UUID(paid["reservation_ids"][0]))


def test_refund_issued_carries_the_numbers_and_the_credit_note(billing):
    school, paid = _paid(billing)
    refund_id = billing.on_reservation_cancelled(_cancelled(paid, school))
    (issued,) = [
        e
        for e in billing.aggregate_history(UUID(refund_id))
        if isinstance(e, Refund.Issued)
    ]
    body = billing.published[Refund.Issued].dump(issued, billing)
    assert body["credit_note_number"].startswith("A")
    assert (
        body["invoice_number"]
        == f"F{datetime.now(UTC).year}-{paid['invoice_number']:06d}"
    )
    assert "school_email" not in body  # sealed for the school
    assert body["sealed"]


def test_the_provider_refuses_to_refund_more_than_it_took():
    provider = SimulatedCardProvider()
    auth = provider.authorise(3000, APPROVED_TOKEN, "k")
    capture = provider.capture(auth.id, "c")
    with pytest.raises(ProviderError):
        provider.refund(capture.id, 3001, "r1")
    with pytest.raises(ProviderError):
        provider.refund("cap_inconnue", 100, "r2")
    first = provider.refund(capture.id, 2000, "r3")
    assert provider.refund(capture.id, 2000, "r3") == first  # same key, same refund
    with pytest.raises(ProviderError):
        provider.refund(capture.id, 2000, "r4")


def test_each_credit_note_names_the_seat_it_refunds(billing):
    """The invoice lists the cart's lines in their order, the payment its
    reservation ids sorted: each credit note finds its own line."""
    school = f"ecole-{secrets.token_hex(3)}"
    lines = cart(4)
    paid = billing.pay_by_card(school, "cle", lines, APPROVED_TOKEN)
    for line in lines:
        reservation_id = UUID(line["id"])
        position = paid["reservation_ids"].index(line["id"])
        billing.on_reservation_cancelled(_cancelled(paid, school, position))
        text = one_line(pdf_text(billing.credit_note_pdf(school, reservation_id)))
        assert f"NEPH {line['neph']}" in text
