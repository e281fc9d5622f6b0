"""A returned SEPA debit on the real PostgreSQL: the reservations it paid for
are cancelled and their seats freed, once; others are left alone."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.booking.application import BookingApplication
from services.booking.deadlines import CONFIRMED
from services.booking.projections import READ_MODELS
from services.booking.rules import CANCELLED_UNPAID, BookingError
from services.booking.seats import BookableCandidate, SessionSeats
from tests.booking.test_seats import NOBODY, activated, open_session, school


@pytest.fixture(scope="module")
def app(settings):
    # One school takes every seat of a session here (see test_hold_limits.py).
    uncapped = settings.model_copy(update={"holds_session_percent": 100})
    app = BookingApplication(settings=uncapped)
    yield app
    app.close()


def _paid(app, ecole: str, session_id: UUID, checkout_id: UUID) -> tuple[UUID, str]:
    neph = activated(app, ecole)
    line = app.hold(ecole, neph, session_id, NOBODY)
    reservation = app.repository.get(UUID(line["id"]))
    assert reservation.confirm(checkout_id, app.clock.now())
    app.save(reservation)
    return reservation.id, neph


def _returned(checkout_id: UUID, reservation_ids: list[UUID]) -> SimpleNamespace:
    """billing's DebitReturned, as the consumer hands it over."""
    return SimpleNamespace(
        payload={
            "checkout_id": checkout_id,
            "reservation_ids": reservation_ids,
            "reason": "provision insuffisante",
            "reason_code": "AM04",
        },
        tracking=Tracking(
            application_name="billing>test", notification_id=random.getrandbits(40)
        ),
    )


def test_the_returned_payments_reservations_are_cancelled_and_their_seats_freed(
    app,
):
    ecole, session_id = school(), open_session(app, seats=3)
    debit, other = uuid4(), uuid4()
    first, neph = _paid(app, ecole, session_id, debit)
    second, _ = _paid(app, ecole, session_id, debit)
    paid_by_card, _ = _paid(app, ecole, session_id, other)
    assert app.repository.get(SessionSeats.create_id(session_id)).free_seats == 0

    # The debit names the card-paid one too (a stale line): it stays paid.
    cancelled = app.on_debit_returned(_returned(debit, [first, second, paid_by_card]))
    assert sorted(cancelled) == sorted([str(first), str(second)])
    for reservation_id in (first, second):
        reservation = app.repository.get(reservation_id)
        assert reservation.status == CANCELLED_UNPAID
    assert app.repository.get(paid_by_card).status == CONFIRMED
    assert app.repository.get(SessionSeats.create_id(session_id)).free_seats == 2
    # The candidate is free to be booked again; its convocation is void.
    bookable = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert bookable.reservation_id is None
    with pytest.raises(BookingError, match="une fois la place payée"):
        app.convocation_pdf(ecole, first)
    # The school's list says so (the service's follower, run by hand here).
    follower = READ_MODELS["reservation_list"].follower(app)
    try:
        follower.run_until_caught_up()
        rows = {r["id"]: r["status"] for r in follower.view.search(ecole, now=app.now)}
    finally:
        follower.release()
    assert rows[str(first)] == rows[str(second)] == CANCELLED_UNPAID
    assert rows[str(paid_by_card)] == CONFIRMED

    # The same return again (another file, a redelivery): nothing more.
    assert app.on_debit_returned(_returned(debit, [first, second])) == []
    assert app.repository.get(SessionSeats.create_id(session_id)).free_seats == 2


def test_a_reservation_whose_exam_has_passed_is_not_cancelled(app):
    ecole, session_id = school(), open_session(app)
    debit = uuid4()
    reservation_id, _ = _paid(app, ecole, session_id, debit)
    reservation = app.repository.get(reservation_id)
    after_exam = reservation.exam_starts_at + timedelta(minutes=1)
    assert not reservation.cancel_unpaid(debit, "provision insuffisante", after_exam)
    assert reservation.status == CONFIRMED


def test_a_return_naming_unknown_reservations_changes_nothing(app):
    assert app.on_debit_returned(_returned(uuid4(), [uuid4(), uuid4()])) == []
