"""A school cancels a paid reservation on the real PostgreSQL (BO-7, EX-4):
before the deadline the seat is freed in the same commit and the event that
has it refunded carries the price recorded when it was paid; after it, or
for another school, or twice, nothing changes."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.booking.application import BookingApplication, ReservationNotFound
from services.booking.deadlines import changes_allowed_until
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import CANCELLED, BookingError
from services.booking.seats import BookableCandidate, SessionSeats
from services.common.clock import FrozenClock
from tests.booking.test_seats import NOBODY, activated, open_session, school


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _paid(app, method: str | None = "carte") -> tuple[str, str, UUID, UUID]:
    ecole = school()
    neph = activated(app, ecole)
    session_id = open_session(app, seats=2, days=20)
    line = app.hold(ecole, neph, session_id, NOBODY)
    checkout = uuid4()
    # billing's PaymentCaptured: one seat for 30 €.
    app.on_payment_captured(
        _delivered(
            {
                "checkout_id": checkout,
                "school_id": ecole,
                "reservation_ids": [UUID(line["id"])],
                "amount_cents": 3000,
                "method": method,
            }
        )
    )
    return ecole, neph, UUID(line["id"]), session_id


def _delivered(payload: dict) -> SimpleNamespace:
    return SimpleNamespace(
        payload=payload,
        tracking=Tracking(
            application_name="billing>test", notification_id=random.getrandbits(40)
        ),
    )


def _free_seats(app, session_id: UUID) -> int:
    return app.repository.get(SessionSeats.create_id(session_id)).free_seats


def test_a_cancellation_frees_the_seat_and_carries_the_price_paid(app):
    ecole, neph, reservation_id, session_id = _paid(app)
    assert _free_seats(app, session_id) == 1
    answer = app.cancel(ecole, reservation_id)
    assert answer["status"] == CANCELLED
    assert answer["changes_allowed_until"] is None
    assert _free_seats(app, session_id) == 2
    bookable = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert bookable.reservation_id is None
    (cancelled,) = [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Cancelled)
    ]
    body = PUBLISHED[Reservation.Cancelled].dump(cancelled, app)
    assert body["price_cents"] == body["refund_cents"] == 3000
    assert body["school_id"] == ecole
    with pytest.raises(BookingError, match="déjà annulée"):
        app.cancel(ecole, reservation_id)
    assert _free_seats(app, session_id) == 2


def test_the_same_key_gets_the_first_answer_and_cancels_once(app):
    ecole, _, reservation_id, _ = _paid(app)
    request = app.cancel_request(ecole, str(reservation_id), "cle-annulation")
    first = app.cancel(ecole, reservation_id, request)
    again = app.cancel(ecole, reservation_id, request)
    assert first == again
    history = app.aggregate_history(reservation_id)
    assert sum(isinstance(e, Reservation.Cancelled) for e in history) == 1


def test_after_the_deadline_nothing_changes(app):
    ecole, _, reservation_id, session_id = _paid(app)
    reservation = app.repository.get(reservation_id)
    until = changes_allowed_until(reservation.exam_starts_at, "69")
    app.clock.set(until + timedelta(seconds=1))
    with pytest.raises(BookingError, match="Le délai est dépassé"):
        app.cancel(ecole, reservation_id)
    assert _free_seats(app, session_id) == 1
    assert app.repository.get(reservation_id).status != CANCELLED
    # One second before, it could still be cancelled.
    app.clock.set(until - timedelta(seconds=1))
    assert app.cancel(ecole, reservation_id)["status"] == CANCELLED


def test_another_schools_reservation_is_not_found(app):
    _, _, reservation_id, session_id = _paid(app)
    with pytest.raises(ReservationNotFound):
        app.cancel(school(), reservation_id)
    assert _free_seats(app, session_id) == 1


def test_a_sepa_paid_reservation_is_cancelled_with_what_to_refund(app):
    """Paid by SEPA debit: cancelled like a card-paid one; billing refunds
    it by transfer from the event's price and refund share."""
    ecole, _, reservation_id, session_id = _paid(app, method="sepa")
    answer = app.cancel(ecole, reservation_id)
    assert answer["status"] == CANCELLED
    assert _free_seats(app, session_id) == 2
    (cancelled,) = [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Cancelled)
    ]
    assert (cancelled.price_cents, cancelled.refund_cents) == (3000, 3000)


def test_a_seat_paid_before_the_method_was_recorded_is_not_cancelled_online(app):
    """Billing would not know how to refund it: the seat is not given back."""
    ecole, _, reservation_id, session_id = _paid(app, method=None)
    with pytest.raises(BookingError, match="contactez le support"):
        app.cancel(ecole, reservation_id)
    assert _free_seats(app, session_id) == 1


def test_an_unpaid_line_cannot_be_cancelled(app):
    ecole = school()
    line = app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    with pytest.raises(BookingError, match="seule une réservation payée"):
        app.cancel(ecole, UUID(line["id"]))


def test_the_history_shows_every_step_in_order_with_who_did_it(app):
    ecole, _, reservation_id, _ = _paid(app)
    app.clock.advance(timedelta(minutes=5))
    app.cancel(ecole, reservation_id)
    found = app.reservation(ecole, reservation_id)
    assert found["status"] == CANCELLED
    steps = [(s["step"], s["by"]) for s in found["history"]]
    assert steps == [
        ("Place réservée, dans le panier", "auto-école"),
        ("Payée : réservation confirmée", "auto-école"),
        ("Annulée, place libérée", "auto-école"),
    ]
    times = [s["at"] for s in found["history"][1:]]
    assert times == sorted(times)
    with pytest.raises(ReservationNotFound):
        app.reservation(school(), reservation_id)
