"""The operator cancelled a session (SC-2), on the real PostgreSQL: booking
ends every reservation in it, each in its own commit: a paid one cancelled by
the « centre d'examen » and refunded in full whatever the deadline, the
method or the rule recorded when it was paid; an unpaid one out of its cart.
Redelivered, or delivered again after a stop in the middle, nothing is ended
twice."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from services.booking import domain
from services.booking.application import BookingApplication
from services.booking.carts import SchoolCart
from services.booking.deadlines import CONFIRMED, changes_allowed_until
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import (
    BY_OPERATOR,
    CANCELLED,
    IN_CART,
    SESSION_CANCELLED,
    BookingError,
)
from services.booking.seats import BookableCandidate, SessionSeats
from services.common.clock import FrozenClock
from tests.booking.test_cancellation import _delivered, _free_seats
from tests.booking.test_seats import NOBODY, activated, open_session, school

REASON = "Salle inondée"


def _session_cancelled(session_id: UUID, tracking: Tracking | None = None):
    return SimpleNamespace(
        payload={"session_id": session_id, "reason": REASON},
        tracking=tracking
        or Tracking(
            application_name="scheduling>test",
            notification_id=random.getrandbits(40),
        ),
    )


def _pay(app, ecole: str, line: dict, method: str) -> None:
    app.on_payment_captured(
        _delivered(
            {
                "checkout_id": UUID(int=random.getrandbits(128)),
                "school_id": ecole,
                "reservation_ids": [UUID(line["id"])],
                "amount_cents": 3000,
                "method": method,
            }
        )
    )


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


@pytest.fixture
def session(app, monkeypatch):
    """A session with a seat paid by card under a rule refunding half (EX-4),
    one paid by SEPA, one held unpaid; and another session's hold."""
    ecole, session_id = school(), open_session(app, seats=18, days=20)
    monkeypatch.setattr(domain, "REFUND_PERCENT", 50)
    lines = [app.hold(ecole, activated(app, ecole), session_id, NOBODY) for _ in "abc"]
    _pay(app, ecole, lines[0], "carte")
    _pay(app, ecole, lines[1], "sepa")
    elsewhere = app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    card, sepa, held = (UUID(line["id"]) for line in lines)
    return SimpleNamespace(
        id=session_id, school=ecole, card=card, sepa=sepa, held=held, other=elsewhere
    )


def _cancellations(app, reservation_id: UUID) -> list[Reservation.Cancelled]:
    return [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Cancelled)
    ]


def _holds_cancelled(app, reservation_id: UUID) -> list[Reservation.HoldCancelled]:
    return [
        e
        for e in app.repository.event_store.get(reservation_id)
        if isinstance(e, Reservation.HoldCancelled)
    ]


def test_booking_says_who_holds_a_seat_in_a_session(app, session):
    assert app.session_holders(session.id) == {"paid": 2, "unpaid": 1}
    assert app.session_holders(UUID(int=7)) == {"paid": 0, "unpaid": 0}


def test_every_reservation_of_a_cancelled_session_ends(app, session):
    # Past the school's own deadline: the operator's cancellation ignores it.
    reservation = app.repository.get(session.card)
    app.clock.set(
        changes_allowed_until(reservation.exam_starts_at, "69") + timedelta(1)
    )
    ended = app.on_session_cancelled(_session_cancelled(session.id))
    assert ended == {"paid": 2, "unpaid": 1}
    status = {r: app.repository.get(r).status for r in (session.card, session.sepa)}
    assert status == {session.card: CANCELLED, session.sepa: CANCELLED}
    assert app.repository.get(session.held).status == SESSION_CANCELLED
    # Its school is told, with the operator's words.
    (told,) = _holds_cancelled(app, session.held)
    body = PUBLISHED[Reservation.HoldCancelled].dump(told, app)
    assert body["school_id"] == session.school and body["reason"] == REASON
    assert body["session_id"] == str(session.id)
    assert _holds_cancelled(app, session.card) == []
    assert _free_seats(app, session.id) == 18
    assert app.session_holders(session.id) == {"paid": 0, "unpaid": 0}
    for reservation_id in (session.card, session.sepa):
        (cancelled,) = _cancellations(app, reservation_id)
        body = PUBLISHED[Reservation.Cancelled].dump(cancelled, app)
        # In full, though the rule recorded when paid refunded half.
        assert body["price_cents"] == body["refund_cents"] == 3000
        assert body["cancelled_by"] == BY_OPERATOR and body["reason"] == REASON
    # The unpaid line left its cart; the other session's line stayed.
    cart = app.repository.get(SchoolCart.create_id(session.school))
    assert list(cart.lines) == [session.other["id"]]
    assert app.repository.get(UUID(session.other["id"])).status == IN_CART
    # The candidates may book again.
    for reservation_id in (session.card, session.held):
        bookable = app.repository.get(app.repository.get(reservation_id).bookable_id)
        assert isinstance(bookable, BookableCandidate)
        assert bookable.reservation_id is None
    # Their histories say who ended them.
    (*_, last) = app.reservation(session.school, session.held)["history"]
    assert (last["step"], last["by"]) == (
        "Place libérée : session annulée",
        BY_OPERATOR,
    )
    (*_, last) = app.reservation(session.school, session.card)["history"]
    assert last["by"] == BY_OPERATOR
    # And nobody takes a seat in it any more.
    with pytest.raises(BookingError, match="annulée"):
        app.hold(session.school, activated(app, session.school), session.id, NOBODY)


def test_a_redelivery_ends_nothing_twice(app, session):
    event = _session_cancelled(session.id)
    app.on_session_cancelled(event)
    version = app.repository.get(SessionSeats.create_id(session.id)).version
    assert app.on_session_cancelled(event) == {"paid": 0, "unpaid": 0}
    # The same cancellation told again (another message): nothing left to end.
    assert app.on_session_cancelled(_session_cancelled(session.id)) == {
        "paid": 0,
        "unpaid": 0,
    }
    assert app.repository.get(SessionSeats.create_id(session.id)).version == version
    assert len(_cancellations(app, session.card)) == 1
    assert len(_holds_cancelled(app, session.held)) == 1


def test_a_stop_in_the_middle_is_finished_by_the_redelivery(app, session, monkeypatch):
    event = _session_cancelled(session.id)
    end, calls = app._end, []

    def stops_at_the_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionError("the process stopped")
        return end(*args)

    monkeypatch.setattr(app, "_end", stops_at_the_second)
    with pytest.raises(ConnectionError):
        app.on_session_cancelled(event)
    assert not app.has_processed(event.tracking)
    first = calls[0][0]
    monkeypatch.setattr(app, "_end", end)
    # Redelivered: only what was not done is done.
    assert sum(app.on_session_cancelled(event).values()) == 2
    assert app.has_processed(event.tracking)
    assert app.repository.get(first).status in (CANCELLED, SESSION_CANCELLED)
    for reservation_id in (session.card, session.sepa):
        assert len(_cancellations(app, reservation_id)) == 1
    assert app.repository.get(session.held).status == SESSION_CANCELLED
    # Its school is told, with the operator's words.
    (told,) = _holds_cancelled(app, session.held)
    body = PUBLISHED[Reservation.HoldCancelled].dump(told, app)
    assert body["school_id"] == session.school and body["reason"] == REASON
    assert body["session_id"] == str(session.id)
    assert _holds_cancelled(app, session.card) == []
    assert _free_seats(app, session.id) == 18


def test_a_paid_reservation_cancelled_by_its_school_first_is_left_as_it_is(
    app, session
):
    app.cancel(session.school, session.card)
    assert app.on_session_cancelled(_session_cancelled(session.id)) == {
        "paid": 1,
        "unpaid": 1,
    }
    (cancelled,) = _cancellations(app, session.card)
    assert cancelled.cancelled_by == "auto-école"
    assert app.repository.get(session.sepa).status == CANCELLED
    assert CONFIRMED not in {
        app.repository.get(r).status for r in (session.card, session.sepa)
    }


def test_a_reservation_moved_away_meanwhile_is_left_where_it_is(app, session):
    """Between the reading of the holders and its turn, a paid reservation
    moved to another slot (BO-6): it is not the cancelled session's any more."""
    elsewhere = open_session(app, seats=18, days=25)
    cart_id_of, moved = app._cart_id_of, []

    def moved_first(reservation_id):
        if reservation_id == session.card and not moved:
            moved.append(app.change(session.school, session.card, elsewhere, NOBODY))
        return cart_id_of(reservation_id)

    app._cart_id_of = moved_first
    ended = app.on_session_cancelled(_session_cancelled(session.id))
    assert moved and ended == {"paid": 1, "unpaid": 1}
    reservation = app.repository.get(session.card)
    assert reservation.status == CONFIRMED and reservation.session_id == elsewhere
    assert _cancellations(app, session.card) == []
