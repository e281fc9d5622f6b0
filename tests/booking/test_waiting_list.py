"""A session's waiting list (EX-2): the line's rules on the aggregate alone,
then on the real PostgreSQL a freed seat held for the first in line in the
same commit as it is freed, passing on to the next when unpaid."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import eventlet
import pytest
from eventsourcing.persistence import Tracking

from services.booking.application import BookingApplication
from services.booking.carts import SchoolCart
from services.booking.publications import PUBLISHED
from services.booking.rules import (
    CANCELLED_UNPAID,
    EXPIRED,
    IN_CART,
    REMOVED,
    AlreadyBooked,
    CandidateNotBookable,
    HoldLimitReached,
    HoldLimits,
)
from services.booking.seats import BookableCandidate, SessionSeats
from services.booking.waiting_list import (
    ALREADY_QUEUED,
    BOOKED_ELSEWHERE,
    NOT_FULL,
    WaitingEntryNotFound,
    WaitingList,
    WaitingListError,
)
from services.common.clock import FrozenClock
from services.common.errors import PlatformError
from tests.booking.test_seats import NOBODY, activated, open_session, school

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LIMITS = HoldLimits(per_school=50, session_percent=33)


# -- the line alone --------------------------------------------------------------


def _seats(seats: int = 1, taken: int = 1) -> SessionSeats:
    session = SessionSeats(
        session_id=uuid4(),
        centre_id=uuid4(),
        centre_name="Centre Lyon Gerland",
        centre_address="1 rue du Centre, 69007",
        centre_city="Lyon",
        departement="69",
        kind="collective",
        starts_at=NOW + timedelta(days=10),
        seats=seats,
    )
    for _ in range(taken):
        session.reserve(uuid4(), uuid4(), NOW)
    return session


def _file(school_id: str = "ecole-a") -> BookableCandidate:
    return BookableCandidate(
        id=uuid4(), school_id=school_id, candidate_id=uuid4(), personal="x"
    )


def test_the_line_keeps_the_order_of_arrival_and_each_school_sees_its_ranks():
    seats, line = _seats(), WaitingList.of(uuid4())
    a1, b1, a2 = _file("ecole-a"), _file("ecole-b"), _file("ecole-a")
    for candidate in (a1, b1, a2):
        line.queue(uuid4(), candidate, seats, LIMITS, NOW)
    assert [e["bookable_id"] for e in line.entries] == [str(c.id) for c in (a1, b1, a2)]
    assert [e["rank"] for e in line.of_school("ecole-a")] == [1, 3]
    assert [e["rank"] for e in line.of_school("ecole-b")] == [2]
    assert line.of_school("ecole-c") == []


def test_a_candidate_is_queued_once_only_on_a_full_session_and_if_seatless():
    seats, line = _seats(), WaitingList.of(uuid4())
    candidate = _file()
    line.queue(uuid4(), candidate, seats, LIMITS, NOW)
    with pytest.raises(WaitingListError, match=ALREADY_QUEUED):
        line.queue(uuid4(), candidate, seats, LIMITS, NOW)
    with pytest.raises(WaitingListError, match=NOT_FULL):
        line.queue(uuid4(), _file(), _seats(seats=2, taken=1), LIMITS, NOW)
    booked = _file()
    booked.claim(uuid4(), NOW + timedelta(days=3), NOW)
    with pytest.raises(AlreadyBooked):
        line.queue(uuid4(), booked, seats, LIMITS, NOW)
    archived = _file()
    archived.withdraw(archived.candidate_id)
    with pytest.raises(CandidateNotBookable):
        line.queue(uuid4(), archived, seats, LIMITS, NOW)
    assert len(line.entries) == 1


def test_a_school_with_its_share_of_the_session_does_not_queue_more():
    seats, line = _seats(seats=3, taken=0), WaitingList.of(uuid4())
    seats.reserve(uuid4(), uuid4(), NOW, school_id="ecole-a")
    for _ in range(2):
        seats.reserve(uuid4(), uuid4(), NOW, school_id="ecole-b")
    with pytest.raises(HoldLimitReached, match="déjà 1 des 3 places"):
        line.queue(uuid4(), _file("ecole-a"), seats, LIMITS, NOW)
    assert line.entries == []


def test_an_entry_leaves_the_line_only_for_its_own_school():
    seats, line = _seats(), WaitingList.of(uuid4())
    entry_id = uuid4()
    line.queue(entry_id, _file("ecole-a"), seats, LIMITS, NOW)
    with pytest.raises(WaitingEntryNotFound):
        line.leave(entry_id, "ecole-b")
    line.leave(entry_id, "ecole-a")
    assert line.entries == []


# -- a freed seat, on the real store ---------------------------------------------


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _full_session(app) -> tuple[UUID, str, str]:
    """A one-seat session, held and paid by card by a third school."""
    session_id = open_session(app, seats=1, days=20)
    return (session_id, *_paid_seat(app, session_id))


def _paid_seat(app, session_id: UUID) -> tuple[str, str]:
    """A seat of the session held and paid by card by a school of its own."""
    owner = school()
    line = app.hold(owner, activated(app, owner), session_id, NOBODY)
    app.on_payment_captured(
        _delivered(
            {
                "checkout_id": uuid4(),
                "school_id": owner,
                "reservation_ids": [UUID(line["id"])],
                "amount_cents": 3000,
                "method": "carte",
            }
        )
    )
    return owner, line["id"]


def _delivered(payload: dict) -> SimpleNamespace:
    return SimpleNamespace(
        payload=payload,
        tracking=Tracking(
            application_name="billing>test", notification_id=random.getrandbits(40)
        ),
    )


def _in_cart(app, school_id: str) -> list[dict]:
    """The school's lines in the cart, read from its cart's aggregate (the
    list the school reads is a read model, followed by the stack)."""
    cart = app.repository.get(SchoolCart.create_id(school_id))
    return [app._answer(app._get(UUID(r))) for r in cart.lines]


def _offers(app, session_id: UUID) -> list[WaitingList.SeatOffered]:
    line_id = WaitingList.create_id(session_id)
    return [
        e
        for e in app.repository.event_store.get(line_id)
        if isinstance(e, WaitingList.SeatOffered)
    ]


def test_a_cancelled_seat_goes_to_the_first_in_line_then_to_the_next(app):
    session_id, owner, paid = _full_session(app)
    ecole_a, ecole_b = school(), school()
    neph_a, neph_b = activated(app, ecole_a), activated(app, ecole_b)
    first = app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY)
    second = app.join_waiting_list(ecole_b, neph_b, session_id, NOBODY)
    assert (first["rank"], second["rank"]) == (1, 2)
    assert first["neph"] == neph_a and first["candidate_name"] == "Léa Martin"

    app.cancel(owner, UUID(paid))
    (offered,) = _in_cart(app, ecole_a)
    assert offered["neph"] == neph_a and offered["status"] == IN_CART
    expires = datetime.fromisoformat(offered["expires_at"])
    minutes = app.settings.waiting_list_offer_minutes
    assert expires == app.clock.now() + timedelta(minutes=minutes)
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 0 and offered["id"] in seats.holders
    assert [e["rank"] for e in app.waiting_entries(ecole_b)] == [1]
    assert app.waiting_entries(ecole_a) == []
    (event,) = _offers(app, session_id)
    assert event.school_id == ecole_a and str(event.reservation_id) == offered["id"]
    published = PUBLISHED[WaitingList.SeatOffered]
    assert published.contract.event_type == "SeatOffered"

    # A does not pay: past the offer, the sweep gives the seat to B.
    app.clock.advance(timedelta(minutes=minutes + 1))
    # What the sweep does with each hold the list finds overdue.
    assert app._get(UUID(offered["id"])).is_overdue(app.now)
    app.release(None, UUID(offered["id"]), EXPIRED)
    assert app._get(UUID(offered["id"])).status == EXPIRED
    (to_b,) = _in_cart(app, ecole_b)
    assert to_b["neph"] == neph_b
    assert app.waiting_entries(ecole_b) == []
    # B removes it: nobody is left, the seat is simply free.
    app.release(ecole_b, UUID(to_b["id"]), REMOVED)
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 1
    assert len(_offers(app, session_id)) == 2


def test_an_entry_booked_elsewhere_meanwhile_is_passed_over(app):
    session_id, owner, paid = _full_session(app)
    ecole_a, ecole_b = school(), school()
    neph_a, neph_b = activated(app, ecole_a), activated(app, ecole_b)
    app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY)
    app.join_waiting_list(ecole_b, neph_b, session_id, NOBODY)
    app.hold(ecole_a, neph_a, open_session(app, days=15), NOBODY)
    app.cancel(owner, UUID(paid))
    assert [r["neph"] for r in _in_cart(app, ecole_b)] == [neph_b]
    line = app.repository.get(WaitingList.create_id(session_id))
    assert line.entries == []
    left = [e for e in app.repository.event_store.get(line.id)]
    assert any(getattr(e, "reason", "") == BOOKED_ELSEWHERE for e in left)


def test_queueing_refusals_change_nothing_and_a_retry_gets_the_first_answer(app):
    session_id, _, _ = _full_session(app)
    ecole_a, ecole_b = school(), school()
    neph_a = activated(app, ecole_a)
    request = app.queue_request(ecole_a, neph_a, str(session_id), "cle-1")
    first = app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY, request)
    again = app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY, request)
    assert again == first
    with pytest.raises(WaitingListError, match=ALREADY_QUEUED):
        app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY)
    # Another school's NEPH is not one of B's files (its owner says so).
    with pytest.raises(PlatformError, match="dossier_introuvable"):
        app.join_waiting_list(ecole_b, neph_a, session_id, NOBODY)
    other_session = open_session(app)
    with pytest.raises(WaitingListError, match=NOT_FULL):
        app.join_waiting_list(ecole_a, activated(app, ecole_a), other_session, NOBODY)
    with pytest.raises(WaitingEntryNotFound):
        app.leave_waiting_list(ecole_b, UUID(first["id"]))
    assert [e["id"] for e in app.waiting_entries(ecole_a)] == [first["id"]]
    assert app.waiting_entries(ecole_b) == []
    left = app.leave_waiting_list(ecole_a, UUID(first["id"]))
    assert left["rank"] is None and app.waiting_entries(ecole_a) == []


def test_two_seats_freed_in_one_commit_go_to_two_in_line(app):
    """A returned debit cancelling two seats of one session: the first in
    line gets one, the second the other, never one twice."""
    session_id = open_session(app, seats=2, days=20)
    owner = school()
    app.settings = app.settings.model_copy(update={"holds_session_percent": 100})
    lines = [
        app.hold(owner, activated(app, owner), session_id, NOBODY)["id"]
        for _ in range(2)
    ]
    checkout = uuid4()
    paid = {
        "checkout_id": checkout,
        "school_id": owner,
        "reservation_ids": [UUID(r) for r in lines],
        "amount_cents": 6000,
        "method": "prélèvement",
    }
    app.on_payment_captured(_delivered(paid))
    ecole_a, ecole_b = school(), school()
    neph_a, neph_b = activated(app, ecole_a), activated(app, ecole_b)
    app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY)
    app.join_waiting_list(ecole_b, neph_b, session_id, NOBODY)
    returned = {**paid, "reason": "provision insuffisante", "reason_code": "AM04"}
    app.on_debit_returned(_delivered(returned))
    assert [r["neph"] for r in _in_cart(app, ecole_a)] == [neph_a]
    assert [r["neph"] for r in _in_cart(app, ecole_b)] == [neph_b]
    assert {app._get(UUID(r)).status for r in lines} == {CANCELLED_UNPAID}
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 0


def test_two_seats_freed_at_once_on_two_replicas_go_to_two_in_line(app):
    """Two cancellations at the same instant, each on a process of its own
    (no shared lock): the line's version check makes one wait for the other,
    so each of the first two in line gets one seat, and none gets two."""
    replica = BookingApplication(settings=app.settings)
    replica.clock = app.clock
    try:
        session_id = open_session(app, seats=2, days=20)
        paid = [_paid_seat(app, session_id) for _ in range(2)]
        ecole_a, ecole_b, ecole_c = school(), school(), school()
        nephs = [activated(app, e) for e in (ecole_a, ecole_b, ecole_c)]
        for ecole, neph in zip((ecole_a, ecole_b, ecole_c), nephs, strict=True):
            app.join_waiting_list(ecole, neph, session_id, NOBODY)

        def cancel(which: int) -> None:
            owner, line = paid[which]
            (app, replica)[which].cancel(owner, UUID(line))

        list(eventlet.GreenPool(2).imap(cancel, [0, 1]))
        assert [r["neph"] for r in _in_cart(app, ecole_a)] == [nephs[0]]
        assert [r["neph"] for r in _in_cart(app, ecole_b)] == [nephs[1]]
        assert [e["rank"] for e in app.waiting_entries(ecole_c)] == [1]
        offers = _offers(app, session_id)
        assert sorted(o.school_id for o in offers) == sorted([ecole_a, ecole_b])
        seats = app.repository.get(SessionSeats.create_id(session_id))
        assert seats.free_seats == 0
    finally:
        replica.close()
