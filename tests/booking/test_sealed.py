"""Booking seals who a reservation is for with the candidate's key, on the
real PostgreSQL: the school reads them, the store does not, and erasure
leaves every copy unreadable (issue 11, TR-4)."""

from __future__ import annotations

import random
import string
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.booking.application import ERASED_FILE, BookingApplication
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.rules import BookingError, CandidateNotBookable
from services.booking.seats import BookableCandidate
from services.common.contracts import SEALED
from tests.booking.test_seats import NOBODY, new_neph, open_session, school

_positions = iter(range(2 * 10**9, 3 * 10**9))


@pytest.fixture(scope="module")
def app(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def _marker() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10)).capitalize()


def _activated(app: BookingApplication, ecole: str) -> tuple[str, str, UUID]:
    marker, neph, candidate_id = _marker(), new_neph(), uuid4()
    app.candidate_activated(
        ecole, neph, candidate_id, f"Léa {marker}", birth_date="2004-05-06"
    )
    return marker, neph, candidate_id


def _stored(app: BookingApplication, since: int) -> bytes:
    """Every event stored since `since`, as the database keeps it."""
    notifications = app.recorder.select_notifications(start=since + 1, limit=1000)
    return b"".join(n.state for n in notifications)


def _erase(app: BookingApplication, ecole: str, neph: str, candidate_id: UUID):
    app.candidate_erased(
        ecole, neph, candidate_id, Tracking("candidates", next(_positions))
    )


def test_the_school_reads_the_candidate_the_store_keeps_them_sealed(app):
    ecole, session_id = school(), open_session(app)
    before = app.recorder.max_notification_id() or 0
    marker, neph, _ = _activated(app, ecole)
    line = app.hold(ecole, neph, session_id, NOBODY)
    assert (line["candidate_name"], line["neph"]) == (f"Léa {marker}", neph)
    reservation = app.repository.get(UUID(line["id"]))
    reservation.confirm(uuid4(), app.clock.now())
    app.save(reservation)
    stored = _stored(app, before)
    assert b"Centre Lyon Gerland" in stored  # what is not personal, in clear
    for trace in (marker, neph, "2004-05-06"):
        assert trace.encode() not in stored, trace
    # The hold copied the file's seal as it was: nothing sealed on a hold.
    candidate = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert reservation.personal == candidate.personal
    assert reservation.bookable_id == candidate.id
    assert app.convocation_pdf(ecole, reservation.id).startswith(b"%PDF")


def test_after_the_erasure_reservations_name_nobody_and_publish_nothing(app):
    ecole, session_id = school(), open_session(app)
    _, neph, candidate_id = _activated(app, ecole)
    request = app.hold_request(ecole, neph, str(session_id), "cle-effacement")
    line = app.hold(ecole, neph, session_id, NOBODY, request)
    reservation = app.repository.get(UUID(line["id"]))
    reservation.confirm(uuid4(), app.clock.now())
    app.save(reservation)

    _erase(app, ecole, neph, candidate_id)
    replayed = app.first_hold(request)
    assert replayed is not None
    assert (replayed["candidate_name"], replayed["neph"]) == ("", "")
    assert replayed["status"] == "confirmée"
    with pytest.raises(BookingError, match=ERASED_FILE):
        app.convocation_pdf(ecole, reservation.id)
    (confirmed,) = [
        e
        for e in app.aggregate_history(reservation.id)
        if isinstance(e, Reservation.Confirmed)
    ]
    body = PUBLISHED[Reservation.Confirmed].dump(confirmed, app)
    assert body[SEALED] is None  # nothing of them on the bus, not even sealed
    assert app.keystore.key(candidate_id) is None  # and no key made again
    with pytest.raises(CandidateNotBookable):
        app.hold(ecole, neph, open_session(app), NOBODY)


def test_an_activation_heard_of_after_the_erasure_seals_nothing(app):
    ecole, neph, candidate_id = school(), new_neph(), uuid4()
    _erase(app, ecole, neph, candidate_id)
    app.candidate_activated(ecole, neph, candidate_id, "Léa Martin")
    assert app.keystore.keys([candidate_id], owner=app.name) == {}
    with pytest.raises(CandidateNotBookable):
        app.hold(ecole, neph, open_session(app), NOBODY)


def test_an_activation_saved_just_before_the_erasure_is_unreadable_after(app):
    # The candidates service forgot the keys; booking heard of the activation
    # late (its message's seal no longer opens: no name) or early (a name,
    # sealed with a key booking made): either way the erasure leaves no key.
    for name in (None, "Léa Martin"):
        ecole, neph, candidate_id = school(), new_neph(), uuid4()
        app.candidate_activated(ecole, neph, candidate_id, name)
        _erase(app, ecole, neph, candidate_id)
        assert app.keystore.keys([candidate_id], owner=app.name) == {}
        candidate = app.repository.get(BookableCandidate.create_id(ecole, neph))
        assert candidate.personal == "" and not candidate.bookable
