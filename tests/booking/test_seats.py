"""Booking owns the seats, on the real PostgreSQL: a hold is one commit of the
reservation, the candidate's one upcoming seat and the session's seat; a full
session answers « complet » from state (SC-4, BO-2, BO-3, TR-3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import eventlet
import pytest

from services.booking.application import BookingApplication
from services.booking.carts import SchoolCart
from services.booking.publications import PUBLISHED
from services.booking.rules import (
    IN_CART,
    MOVED,
    REMOVED,
    AlreadyBooked,
    BookingError,
    CandidateNotBookable,
    SessionFull,
)
from services.booking.seats import BookableCandidate, SessionSeats
from services.common.errors import PlatformError
from services.common.idempotency import IdempotencyConflict


@pytest.fixture(scope="module")
def app(settings):
    # One school takes every seat of a session here: the caps on a school's
    # share have their own tests (test_hold_limits.py).
    uncapped = settings.model_copy(update={"holds_session_percent": 100})
    app = BookingApplication(settings=uncapped)
    yield app
    app.close()


class Catalogue:
    """Stands for the candidates and scheduling services behind booking's
    first look at a file or a session; counts what it was asked."""

    def __init__(self, sessions: dict[str, dict] | None = None) -> None:
        self.files: dict[tuple[str, str], dict] = {}
        self.sessions = sessions or {}
        self.asked: list[str] = []

    def candidate(self, school_id: str, neph: str) -> dict[str, Any]:
        self.asked.append(f"candidate {neph}")
        try:
            return self.files[(school_id, neph)]
        except KeyError:
            raise PlatformError(
                "dossier_introuvable", "Aucun dossier", status=404
            ) from None

    def session(self, session_id: str) -> dict[str, Any]:
        self.asked.append(f"session {session_id}")
        try:
            return self.sessions[session_id]
        except KeyError:
            raise PlatformError(
                "introuvable", "Cette session d'examen n'existe pas.", status=404
            ) from None


NOBODY = Catalogue()


def new_neph() -> str:
    return f"{uuid4().int % 10**12:012d}"


def open_session(app: BookingApplication, seats: int = 18, days: int = 10) -> UUID:
    """A session as scheduling's `SessionScheduled` tells booking of it."""
    session_id = uuid4()
    app.session_scheduled(published_session(app, session_id, seats, days))
    return session_id


def published_session(
    app: BookingApplication, session_id: UUID, seats: int = 18, days: int = 10
) -> dict[str, Any]:
    starts = (app.clock.now() + timedelta(days=days)).replace(hour=9, minute=0)
    return {
        "session_id": session_id,
        "centre_id": uuid4(),
        "centre_name": "Centre Lyon Gerland",
        "centre_address": "1 rue du Centre, 69007",
        "centre_city": "Lyon",
        "departement": "69",
        "kind": "collective",
        "starts_at": starts,
        "duration_minutes": 60,
        "seats": seats,
    }


def activated(app: BookingApplication, school: str, neph: str | None = None) -> str:
    """A file confirmed by its candidate, as `CandidateActivated` tells booking."""
    neph = neph or new_neph()
    app.candidate_activated(school, neph, uuid4(), "Léa Martin")
    return neph


def school() -> str:
    return f"ecole-{uuid4()}"


def log_size(app: BookingApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_hold_takes_the_seat_the_candidate_and_the_cart_line_at_once(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    line = app.hold(ecole, neph, session_id, NOBODY)
    assert line["status"] == IN_CART and line["centre_name"] == "Centre Lyon Gerland"
    assert line["candidate_name"] == "Léa Martin"
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 17 and line["id"] in seats.holders
    candidate = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert str(candidate.reservation_id) == line["id"]
    # One commit: the four aggregates' events share one transaction's ids
    # (the school's cart opened and counting the line: two).
    events = app.recorder.select_notifications(start=log_size(app) - 4, limit=5)
    assert {n.originator_id for n in events} == {
        UUID(line["id"]),
        candidate.id,
        seats.id,
        SchoolCart.create_id(ecole),
    }


def test_a_full_session_says_complet_and_writes_nothing(app):
    ecole, session_id = school(), open_session(app, seats=1)
    app.hold(ecole, activated(app, ecole), session_id, NOBODY)
    late = activated(app, ecole)
    before = log_size(app)
    with pytest.raises(SessionFull, match="complète"):
        app.hold(ecole, late, session_id, NOBODY)
    assert log_size(app) == before


def test_200_concurrent_holds_on_18_seats_sell_exactly_18(app):
    ecole, session_id = school(), open_session(app)
    nephs = [activated(app, ecole) for _ in range(200)]
    outcomes: list[str] = []

    def hold(neph: str) -> None:
        try:
            app.hold(ecole, neph, session_id, NOBODY)
            outcomes.append("held")
        except SessionFull:
            outcomes.append("complet")

    pool = eventlet.GreenPool(200)
    list(pool.imap(hold, nephs))
    assert outcomes.count("held") == 18 and outcomes.count("complet") == 182
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 0 and len(set(seats.holders.values())) == 18


def test_one_upcoming_seat_per_candidate_even_when_asked_twice_at_once(app):
    ecole, first, second = school(), open_session(app), open_session(app)
    neph = activated(app, ecole)
    outcomes: list[Any] = []

    def hold(session_id: UUID) -> None:
        try:
            outcomes.append(app.hold(ecole, neph, session_id, NOBODY)["session_id"])
        except AlreadyBooked as refused:
            outcomes.append(str(refused))

    list(eventlet.GreenPool(2).imap(hold, [first, second]))
    assert sorted(outcomes, key=len)[1].startswith("Ce candidat a déjà une place")
    free = [
        app.repository.get(SessionSeats.create_id(s)).free_seats
        for s in (first, second)
    ]
    assert sorted(free) == [17, 18]


def test_removing_a_line_frees_the_seat_and_the_candidate(app):
    ecole, session_id = school(), open_session(app, seats=1)
    neph = activated(app, ecole)
    line = app.hold(ecole, neph, session_id, NOBODY)
    removed = app.release(ecole, UUID(line["id"]), REMOVED)
    assert removed["status"] == REMOVED
    assert app.repository.get(SessionSeats.create_id(session_id)).free_seats == 1
    again = app.hold(ecole, neph, session_id, NOBODY)  # the candidate is free too
    assert again["status"] == IN_CART
    with pytest.raises(BookingError, match="retirée du panier"):
        app.release(ecole, UUID(line["id"]), REMOVED)


def test_another_school_cannot_touch_a_line(app):
    ecole, session_id = school(), open_session(app)
    line = app.hold(ecole, activated(app, ecole), session_id, NOBODY)
    from services.booking.application import ReservationNotFound

    with pytest.raises(ReservationNotFound):
        app.release(school(), UUID(line["id"]), REMOVED)
    with pytest.raises(ReservationNotFound):
        app.change_slot(school(), UUID(line["id"]), open_session(app), NOBODY)


def test_changing_slot_moves_the_seat_in_one_commit_and_keeps_the_deadline(app):
    ecole, first, second = school(), open_session(app), open_session(app, seats=1)
    line = app.hold(ecole, activated(app, ecole), first, NOBODY)
    moved = app.change_slot(ecole, UUID(line["id"]), second, NOBODY)
    assert (
        moved["session_id"] == str(second) and moved["expires_at"] == line["expires_at"]
    )
    assert app.repository.get(SessionSeats.create_id(first)).free_seats == 18
    assert app.repository.get(SessionSeats.create_id(second)).free_seats == 0
    assert app.repository.get(UUID(line["id"])).status == MOVED
    # The full slot refuses a change, and the line keeps its seat.
    other = app.hold(ecole, activated(app, ecole), first, NOBODY)
    with pytest.raises(SessionFull):
        app.change_slot(ecole, UUID(other["id"]), second, NOBODY)
    assert app.repository.get(SessionSeats.create_id(first)).free_seats == 17


def test_what_booking_does_not_know_yet_is_asked_once_to_its_owner(app):
    ecole, session_id = school(), uuid4()
    catalogue = Catalogue({str(session_id): published_session(app, session_id)})
    neph = new_neph()
    catalogue.files[(ecole, neph)] = {
        "id": str(uuid4()),
        "given_names": "Jules",
        "birth_name": "Durand",
    }
    first = app.hold(ecole, neph, session_id, catalogue)
    assert first["candidate_name"] == "Jules Durand"
    assert catalogue.asked == [f"candidate {neph}", f"session {session_id}"]
    app.release(ecole, UUID(first["id"]), REMOVED)
    app.hold(ecole, neph, session_id, catalogue)
    assert len(catalogue.asked) == 2  # known from now on
    with pytest.raises(PlatformError, match="Aucun dossier"):
        app.hold(ecole, new_neph(), session_id, catalogue)
    with pytest.raises(PlatformError, match="session d'examen n'existe pas"):
        app.hold(ecole, neph, uuid4(), Catalogue())


def test_an_archived_file_cannot_be_booked(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    candidate = app.repository.get(BookableCandidate.create_id(ecole, neph))
    from eventsourcing.persistence import Tracking

    app.candidate_withdrawn(
        ecole, neph, candidate.candidate_id, Tracking("candidates", 10**9)
    )
    with pytest.raises(CandidateNotBookable, match="Aucun dossier activé"):
        app.hold(ecole, neph, session_id, NOBODY)


def test_a_cancelled_session_takes_no_new_seat(app):
    from eventsourcing.persistence import Tracking

    ecole, session_id = school(), open_session(app)
    app.session_cancelled(session_id, Tracking("scheduling", 10**9 + 1))
    with pytest.raises(BookingError, match="annulée"):
        app.hold(ecole, activated(app, ecole), session_id, NOBODY)


def test_a_past_or_far_session_cannot_be_booked(app):
    ecole = school()
    with pytest.raises(BookingError, match="3 mois"):
        app.hold(ecole, activated(app, ecole), open_session(app, days=120), NOBODY)


def test_the_seat_events_say_how_many_seats_are_left(app):
    ecole, session_id = school(), open_session(app, seats=2)
    line = app.hold(ecole, activated(app, ecole), session_id, NOBODY)
    app.release(ecole, UUID(line["id"]), REMOVED)
    events = app.aggregate_history(SessionSeats.create_id(session_id))
    published = [PUBLISHED[type(e)].dump(e, None) for e in events[1:]]
    assert [(p["free_seats"], p["seats_version"]) for p in published] == [
        (1, 2),
        (2, 3),
    ]
    assert published[1]["reason"] == REMOVED


# -- idempotency keys (TR-3) -------------------------------------------------------


def test_a_retried_hold_returns_the_first_reservation(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    request = app.hold_request(ecole, neph, str(session_id), "cle-1")
    first = app.hold(ecole, neph, session_id, NOBODY, request)
    assert app.first_hold(request) == first
    assert app.hold(ecole, neph, session_id, NOBODY, request) == first
    other = app.hold_request(ecole, neph, str(uuid4()), "cle-1")
    with pytest.raises(IdempotencyConflict):
        app.first_hold(other)


def test_concurrent_holds_with_one_key_make_one_reservation(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    request = app.hold_request(ecole, neph, str(session_id), "cle-course")
    pool = eventlet.GreenPool(10)
    answers = list(
        pool.imap(
            lambda _: app.hold(ecole, neph, session_id, NOBODY, request), range(10)
        )
    )
    assert len({a["id"] for a in answers}) == 1
    assert app.repository.get(SessionSeats.create_id(session_id)).free_seats == 17


def test_a_key_refused_complet_can_be_used_again(app):
    ecole, session_id = school(), open_session(app, seats=1)
    app.hold(ecole, activated(app, ecole), session_id, NOBODY)
    neph = activated(app, ecole)
    request = app.hold_request(ecole, neph, str(session_id), "cle-complet")
    with pytest.raises(SessionFull):
        app.hold(ecole, neph, session_id, NOBODY, request)
    assert app.first_hold(request) is None


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


def test_two_replicas_never_sell_a_seat_twice_nor_refuse_a_freed_one(app, settings):
    """Each replica keeps seats in memory; the store's version check and a
    fresh read before any refusal keep them right."""
    other = BookingApplication(settings=settings)
    try:
        ecole, session_id = school(), open_session(app, seats=1)
        first, second = activated(app, ecole), activated(app, ecole)
        other.repository.get(SessionSeats.create_id(session_id))  # cached: free
        line = app.hold(ecole, first, session_id, NOBODY)
        with pytest.raises(SessionFull):  # its copy said free: the store says no
            other.hold(ecole, second, session_id, NOBODY)
        app.release(ecole, UUID(line["id"]), REMOVED)
        # Its copy now says full: the seat freed by the other replica is sold.
        assert other.hold(ecole, second, session_id, NOBODY)["status"] == IN_CART
    finally:
        other.close()


def test_a_line_confirmed_by_another_replica_has_its_convocation_here(app, settings):
    other = BookingApplication(settings=settings)
    try:
        ecole, session_id = school(), open_session(app)
        line = app.hold(ecole, activated(app, ecole), session_id, NOBODY)
        paid = other.repository.get(UUID(line["id"]))
        paid.confirm(uuid4(), other.clock.now())
        other.save(paid)
        # This replica remembers the line in the cart: it asks the store.
        assert app.convocation_pdf(ecole, UUID(line["id"])).startswith(b"%PDF")
    finally:
        other.close()


def test_an_archive_or_a_cancellation_heard_of_first_is_not_undone(app):
    from eventsourcing.persistence import Tracking

    ecole, neph, file_id = school(), new_neph(), uuid4()
    app.candidate_withdrawn(ecole, neph, file_id, Tracking("candidates", 10**9 + 2))
    app.candidate_activated(ecole, neph, file_id, "Léa Martin")  # heard of late
    session_id = uuid4()
    app.session_cancelled(session_id, Tracking("scheduling", 10**9 + 3))
    app.session_scheduled(published_session(app, session_id))  # heard of late
    with pytest.raises(CandidateNotBookable):
        app.hold(ecole, neph, open_session(app), NOBODY)
    with pytest.raises(BookingError, match="annulée"):
        app.hold(ecole, activated(app, ecole), session_id, NOBODY)


def test_events_stored_when_seats_were_in_domain_py_still_load():
    from eventsourcing.utils import resolve_topic

    old = "services.booking.domain:"
    assert resolve_topic(f"{old}SessionSeats.SlotReserved") is SessionSeats.SlotReserved
    assert resolve_topic(f"{old}BookableCandidate") is BookableCandidate
