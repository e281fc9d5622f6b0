"""A payment confirmed after its line had left the cart (the hold expired
between the payment's check and its confirmation): the seat stays free and
the payment is given back in full, once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import BY_PLATFORM, CANCELLED, EXPIRED, REMOVED
from services.common.clock import FrozenClock
from tests.booking.test_cancellation import _delivered, _free_seats
from tests.booking.test_seats import NOBODY, activated, open_session, school


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _captured(ecole: str, *reservation_ids: UUID, checkout=None):
    return _delivered(
        {
            "checkout_id": checkout or uuid4(),
            "school_id": ecole,
            "reservation_ids": list(reservation_ids),
            "amount_cents": 3000 * len(reservation_ids),
            "method": "carte",
        }
    )


def _given_back(app, reservation_id: UUID) -> list:
    return [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Cancelled)
    ]


def test_a_line_expired_before_its_payment_is_given_back_not_confirmed(app):
    ecole = school()
    late_neph, kept_neph = activated(app, ecole), activated(app, ecole)
    session_id = open_session(app, seats=6, days=20)
    late = UUID(app.hold(ecole, late_neph, session_id, NOBODY)["id"])
    app.clock.advance(timedelta(minutes=20))
    kept = UUID(app.hold(ecole, kept_neph, session_id, NOBODY)["id"])
    app.clock.advance(timedelta(minutes=11))  # the first hold's 30 minutes are over
    assert app._get(late).is_overdue(app.now) and not app._get(kept).is_overdue(app.now)
    app.release(None, late, EXPIRED)  # as the expiry sweep does
    assert _free_seats(app, session_id) == 5

    checkout = uuid4()
    confirmed = app.on_payment_captured(_captured(ecole, late, kept, checkout=checkout))
    assert confirmed == [str(kept)]
    assert _free_seats(app, session_id) == 5  # the late line took no seat back
    (given_back,) = _given_back(app, late)
    body = PUBLISHED[Reservation.Cancelled].dump(given_back, app)
    assert body["cancelled_by"] == BY_PLATFORM
    assert str(body["checkout_id"]) == str(checkout)
    assert body["price_cents"] == body["refund_cents"] == 3000
    assert app.repository.get(late).status == CANCELLED
    # Nothing left to change or cancel on it.
    assert app.repository.get(late).changes_allowed_until(app.now) is None


def test_a_removed_line_is_given_back_once_whatever_the_redeliveries(app):
    ecole = school()
    neph = activated(app, ecole)
    session_id = open_session(app, seats=2, days=20)
    line = UUID(app.hold(ecole, neph, session_id, NOBODY)["id"])
    app.release(ecole, line, REMOVED)
    captured = _captured(ecole, line)
    assert app.on_payment_captured(captured) == []
    # The same PaymentCaptured from another position of billing's log.
    assert (
        app.on_payment_captured(
            _captured(ecole, line, checkout=captured.payload["checkout_id"])
        )
        == []
    )
    assert len(_given_back(app, line)) == 1


def test_a_confirmed_or_still_held_line_is_never_given_back(app):
    ecole = school()
    neph = activated(app, ecole)
    session_id = open_session(app, seats=2, days=20)
    line = UUID(app.hold(ecole, neph, session_id, NOBODY)["id"])
    app.on_payment_captured(_captured(ecole, line))
    assert app.repository.get(line).status != EXPIRED
    # A second payment naming the confirmed line neither refunds nor frees it.
    assert app.on_payment_captured(_captured(ecole, line)) == []
    assert _given_back(app, line) == []
    assert _free_seats(app, session_id) == 1
