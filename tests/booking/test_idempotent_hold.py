"""Holds with an idempotency key, on the real PostgreSQL: one reservation per
key, whatever the retries and the concurrency (BO-2, TR-3)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import eventlet
import pytest

from services.booking.application import BookingApplication
from services.booking.domain import FULL, IN_CART, BookingError, CandidateSeat
from services.common.idempotency import IdempotencyConflict


@pytest.fixture(scope="module")
def app(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def candidate() -> dict:
    return {
        "id": str(uuid4()),
        "neph": f"{uuid4().int % 10**12:012d}",
        "given_names": "Léa",
        "birth_name": "Martin",
    }


def session(app: BookingApplication) -> dict:
    starts = (app.clock.now() + timedelta(days=10)).replace(hour=9, minute=0)
    return {
        "id": str(uuid4()),
        "starts_at": starts.isoformat(),
        "centre": {"name": "Centre Lyon", "city": "Lyon"},
    }


def test_a_retried_hold_returns_the_first_reservation(app):
    school, file, slot = f"ecole-{uuid4()}", candidate(), session(app)
    request = app.hold_request(school, file["neph"], slot["id"], "cle-1")
    first = app.hold(school, file, slot, request)
    assert app.first_hold(request) == first
    assert app.hold(school, file, slot, request) == first
    assert first["status"] == IN_CART
    other = app.hold_request(school, file["neph"], str(uuid4()), "cle-1")
    with pytest.raises(IdempotencyConflict):
        app.first_hold(other)


def test_concurrent_holds_with_one_key_make_one_reservation(app):
    school, file, slot = f"ecole-{uuid4()}", candidate(), session(app)
    request = app.hold_request(school, file["neph"], slot["id"], "cle-course")
    pool = eventlet.GreenPool(10)
    answers = list(
        pool.imap(lambda _: app.hold(school, file, slot, request), range(10))
    )
    assert len({a["id"] for a in answers}) == 1
    seat = app.repository.get(CandidateSeat.create_id(file["id"]))
    assert str(seat.reservation_id) == answers[0]["id"]


def test_a_hold_undone_frees_its_key(app):
    school, file, slot = f"ecole-{uuid4()}", candidate(), session(app)
    request = app.hold_request(school, file["neph"], slot["id"], "cle-complet")
    first = app.hold(school, file, slot, request)
    # The seat could not be taken (« complet »): the service undoes the hold.
    app.release(school, UUID(first["id"]), FULL)
    app.forget_hold(request)
    assert app.first_hold(request) is None
    second = app.hold(school, file, slot, request)
    assert second["id"] != first["id"] and second["status"] == IN_CART


def test_a_hold_that_got_no_seat_is_not_replayed_as_a_success(app):
    school, file, slot = f"ecole-{uuid4()}", candidate(), session(app)
    request = app.hold_request(school, file["neph"], slot["id"], "cle-arret")
    first = app.hold(school, file, slot, request)
    # Released for want of a seat, then stopped before its key was freed.
    app.release(school, UUID(first["id"]), FULL)
    with pytest.raises(BookingError, match="pas obtenu de place"):
        app.first_hold(request)


@pytest.mark.parametrize(
    ("search", "exam_date", "field"),
    [
        ("Du\x00pont", None, "recherche"),
        ("x" * 10_000, None, "recherche"),
        ("", "9999-12-31", "date"),
        ("", "２０２６-１２-０１", "date"),
    ],
)
def test_the_reservation_list_reached_by_rpc_refuses_what_the_gateway_would(
    app, search, exam_date, field
):
    from services.common.inputs import InvalidFields

    with pytest.raises(InvalidFields) as refused:
        app.reservations("ecole-a", search, exam_date)
    assert field in refused.value.fields
