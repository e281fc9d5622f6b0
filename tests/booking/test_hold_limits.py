"""Caps on what one school holds (issue 12), on the real PostgreSQL: its share
of a session's seats and its unpaid lines at once, exact under concurrent
holds and across replicas; a refusal says which limit and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import eventlet
import pytest

from services.booking.application import BookingApplication
from services.booking.carts import SchoolCart
from services.booking.rules import REMOVED, HoldLimitReached, HoldLimits
from services.booking.seats import SessionSeats
from services.common.envelope import Delivered, Envelope
from tests.booking.test_seats import NOBODY, activated, log_size, open_session, school

PER_SCHOOL = 4


def capped(settings) -> BookingApplication:
    return BookingApplication(
        settings=settings.model_copy(
            update={"holds_per_school": PER_SCHOOL, "holds_session_percent": 33}
        )
    )


@pytest.fixture(scope="module")
def app(settings):
    app = capped(settings)
    yield app
    app.close()


def test_a_school_s_share_of_a_session_is_a_third_rounded_up():
    limits = HoldLimits(per_school=50, session_percent=33)
    assert [limits.in_session(n) for n in (1, 2, 10, 18)] == [1, 1, 4, 6]


def test_a_school_holds_six_of_eighteen_seats_and_another_school_the_rest(app):
    settings = app.settings.model_copy(update={"holds_per_school": 50})
    roomy = BookingApplication(settings=settings)
    try:
        first, second, session_id = school(), school(), open_session(roomy)
        for _ in range(6):
            roomy.hold(first, activated(roomy, first), session_id, NOBODY)
        late = activated(roomy, first)
        before = log_size(roomy)
        with pytest.raises(HoldLimitReached) as refused:
            roomy.hold(first, late, session_id, NOBODY)
        assert str(refused.value) == (
            "Votre auto-école a déjà 6 des 18 places de cette session, le maximum "
            "permis à une auto-école : choisissez un autre créneau."
        )
        assert log_size(roomy) == before  # nothing written
        for _ in range(6):
            roomy.hold(second, activated(roomy, second), session_id, NOBODY)
        seats = roomy.repository.get(SessionSeats.create_id(session_id))
        assert seats.free_seats == 6
        # The refused candidate can still take a seat elsewhere.
        assert roomy.hold(first, late, open_session(roomy), NOBODY)["id"]
    finally:
        roomy.close()


def test_concurrent_holds_of_one_school_on_two_replicas_stop_at_its_share(
    app, settings
):
    other = capped(settings)
    try:
        ecole, session_id = school(), open_session(app, seats=10)
        nephs = [activated(app, ecole) for _ in range(12)]
        for replica in (app, other):  # each remembers the session as empty
            replica.repository.get(SessionSeats.create_id(session_id))
        outcomes: list[str] = []

        def hold(pair: tuple[BookingApplication, str]) -> None:
            replica, neph = pair
            try:
                replica.hold(ecole, neph, session_id, NOBODY)
                outcomes.append("held")
            except HoldLimitReached:
                outcomes.append("limit")

        pairs = [(app if i % 2 else other, n) for i, n in enumerate(nephs)]
        list(eventlet.GreenPool(12).imap(hold, pairs))
        # 33 % of 10 seats, rounded up; the school's cart allowed 4 at once.
        assert outcomes.count("held") == PER_SCHOOL
        assert outcomes.count("limit") == 12 - PER_SCHOOL
        other.forget_id(SessionSeats.create_id(session_id))
        seats = other.repository.get(SessionSeats.create_id(session_id))
        assert len(seats.holders) == PER_SCHOOL
    finally:
        other.close()


def test_concurrent_holds_on_many_sessions_stop_at_the_cart_s_cap(app):
    ecole = school()
    sessions = [open_session(app) for _ in range(10)]
    nephs = [activated(app, ecole) for _ in range(10)]
    outcomes: list[str] = []

    def hold(pair: tuple[str, UUID]) -> None:
        try:
            app.hold(ecole, pair[0], pair[1], NOBODY)
            outcomes.append("held")
        except HoldLimitReached as refused:
            outcomes.append(str(refused))

    list(eventlet.GreenPool(10).imap(hold, zip(nephs, sessions, strict=True)))
    assert outcomes.count("held") == PER_SCHOOL
    refusals = {o for o in outcomes if o != "held"}
    assert refusals == {
        f"Votre panier compte déjà {PER_SCHOOL} réservations non payées, le "
        "maximum permis à une auto-école : payez-les ou retirez-en avant d'en "
        "ajouter."
    }
    assert unpaid(app, ecole) == PER_SCHOOL
    # Another school is not held back by it.
    other = school()
    assert app.hold(other, activated(app, other), sessions[0], NOBODY)["id"]


def unpaid(app: BookingApplication, ecole: str) -> int:
    cart_id = SchoolCart.create_id(ecole)
    app.forget_id(cart_id)
    return app.repository.get(cart_id).unpaid(app.clock.now())


def _full_cart(app: BookingApplication) -> tuple[str, list[dict]]:
    ecole = school()
    lines = [
        app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
        for _ in range(PER_SCHOOL)
    ]
    with pytest.raises(HoldLimitReached):
        app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    return ecole, lines


def test_a_removed_line_makes_room_in_the_cart(app):
    ecole, lines = _full_cart(app)
    app.release(ecole, UUID(lines[0]["id"]), REMOVED)
    assert app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)["id"]


def test_a_paid_cart_makes_room_for_new_holds(app):
    ecole, lines = _full_cart(app)
    paid = Delivered(
        envelope=Envelope("billing", "PaymentCaptured", 1, 10**9, "2026-01-01"),
        payload={
            "checkout_id": uuid4(),
            "school_id": ecole,
            "reservation_ids": [UUID(line["id"]) for line in lines],
        },
        attempt=1,
    )
    assert len(app.on_payment_captured(paid)) == PER_SCHOOL
    assert app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)["id"]


def test_an_expired_line_no_longer_counts(app, monkeypatch):
    ecole, _ = _full_cart(app)
    later = app.clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(type(app), "now", property(lambda self: later))
    assert app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)["id"]


def test_moving_a_line_keeps_the_cart_and_respects_the_session_share(app):
    ecole = school()
    crowded = open_session(app, seats=2)  # a school's share: one seat
    app.hold(ecole, activated(app, ecole), crowded, NOBODY)
    line = app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    with pytest.raises(HoldLimitReached, match="a déjà 1 des 2 places"):
        app.change_slot(ecole, UUID(line["id"]), crowded, NOBODY)
    for _ in range(PER_SCHOOL - 2):
        app.hold(ecole, activated(app, ecole), open_session(app), NOBODY)
    # A full cart still moves a line: the move takes no second one.
    moved = app.change_slot(ecole, UUID(line["id"]), open_session(app), NOBODY)
    assert moved["status"] == "dans le panier"
    assert unpaid(app, ecole) == PER_SCHOOL
