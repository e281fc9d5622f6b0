"""A waiting-list entry the platform, not its school, drops (EX-2): the line
records why, with what the school's notice names (its school, candidate,
session); a school taking its own entry out records no such drop. On the
real PostgreSQL: an archived file leaves every line at once, a cancelled
session drops its whole line, each once whatever the redeliveries."""

from __future__ import annotations

import random
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.booking.application import BookingApplication
from services.booking.publications import PUBLISHED
from services.booking.waiting_list import (
    BOOKED_ELSEWHERE,
    FILE_ARCHIVED,
    SESSION_GONE,
    WaitingList,
)
from services.common.clock import FrozenClock
from tests.booking.test_seats import NOBODY, activated, open_session, school
from tests.booking.test_waiting_list import (
    LIMITS,
    NOW,
    _file,
    _full_session,
    _paid_seat,
    _seats,
)

REASON = "Salle inondée"


def _dropped(line: WaitingList) -> list[WaitingList.Dropped]:
    return [e for e in line.collect_events() if isinstance(e, WaitingList.Dropped)]


def test_a_school_taking_its_entry_out_is_no_drop():
    seats, line = _seats(), WaitingList.of(uuid4())
    entry_id = uuid4()
    line.queue(entry_id, _file("ecole-a"), seats, LIMITS, NOW)
    line.leave(entry_id, "ecole-a")
    assert line.entries == [] and _dropped(line) == []


def test_a_dropped_entry_says_whose_it_was_which_session_and_why():
    seats, line = _seats(), WaitingList.of(uuid4())
    mine, theirs = _file("ecole-a"), _file("ecole-b")
    line.queue(uuid4(), mine, seats, LIMITS, NOW)
    line.queue(uuid4(), theirs, seats, LIMITS, NOW)
    line.drop(line.entries[0], seats, BOOKED_ELSEWHERE)
    (dropped,) = _dropped(line)
    assert dropped.school_id == "ecole-a"
    assert dropped.candidate_id == mine.candidate_id
    assert dropped.session_id == seats.id
    assert (dropped.centre_name, dropped.centre_city) == ("Centre Lyon Gerland", "Lyon")
    assert dropped.exam_starts_at == seats.starts_at
    assert (dropped.reason, dropped.operator_reason) == (BOOKED_ELSEWHERE, "")
    assert [e["school_id"] for e in line.entries] == ["ecole-b"]


def test_a_file_that_ended_leaves_the_line_and_only_it():
    seats, line = _seats(), WaitingList.of(uuid4())
    ended, other = _file("ecole-a"), _file("ecole-a")
    line.queue(uuid4(), ended, seats, LIMITS, NOW)
    line.queue(uuid4(), other, seats, LIMITS, NOW)
    assert line.drop_file(ended.candidate_id, "scellé", seats, FILE_ARCHIVED)
    assert not line.drop_file(ended.candidate_id, "scellé", seats, FILE_ARCHIVED)
    (dropped,) = _dropped(line)
    assert (dropped.reason, dropped.personal) == (FILE_ARCHIVED, "scellé")
    assert [e["candidate_id"] for e in line.entries] == [str(other.candidate_id)]


def test_a_cancelled_session_drops_its_whole_line_once():
    seats, line = _seats(), WaitingList.of(uuid4())
    line.queue(uuid4(), _file("ecole-a"), seats, LIMITS, NOW)
    line.queue(uuid4(), _file("ecole-b"), seats, LIMITS, NOW)
    assert line.drop_all(seats, REASON, {}) == 2
    assert line.drop_all(seats, REASON, {}) == 0
    dropped = _dropped(line)
    assert [(e.school_id, e.reason) for e in dropped] == [
        ("ecole-a", SESSION_GONE),
        ("ecole-b", SESSION_GONE),
    ]
    assert {e.operator_reason for e in dropped} == {REASON}


# -- on the real store -------------------------------------------------------------


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _drops(app, session_id: UUID) -> list[WaitingList.Dropped]:
    line_id = WaitingList.create_id(session_id)
    return [
        e
        for e in app.repository.event_store.get(line_id)
        if isinstance(e, WaitingList.Dropped)
    ]


def test_an_archived_file_leaves_every_line_at_once(app):
    first, _, _ = _full_session(app)
    second, _, _ = _full_session(app)
    ecole_a, ecole_b = school(), school()
    neph_a, neph_b = activated(app, ecole_a), activated(app, ecole_b)
    for session_id in (first, second):
        app.join_waiting_list(ecole_a, neph_a, session_id, NOBODY)
    app.join_waiting_list(ecole_b, neph_b, first, NOBODY)
    candidate_id = app.repository.get(app._candidate(ecole_a, neph_a).id).candidate_id
    tracking = Tracking("candidates>test", random.getrandbits(40))

    app.candidate_withdrawn(ecole_a, neph_a, candidate_id, tracking)

    assert app.waiting_entries(ecole_a) == []
    assert [e["neph"] for e in app.waiting_entries(ecole_b)] == [neph_b]
    for session_id in (first, second):
        (dropped,) = _drops(app, session_id)
        assert (dropped.school_id, dropped.reason) == (ecole_a, FILE_ARCHIVED)
        # Its notice names the candidate, sealed on the bus.
        body = PUBLISHED[WaitingList.Dropped].body(dropped, app)
        assert (body["candidate_name"], body["neph"]) == ("Léa Martin", neph_a)


def test_a_cancelled_session_drops_its_line_once_and_tells_the_unpaid_hold(app):
    session_id = open_session(app, seats=2, days=20)
    _paid_seat(app, session_id)
    holder = school()
    held = app.hold(holder, activated(app, holder), session_id, NOBODY)
    ecole_a, ecole_b = school(), school()
    app.join_waiting_list(ecole_a, activated(app, ecole_a), session_id, NOBODY)
    app.join_waiting_list(ecole_b, activated(app, ecole_b), session_id, NOBODY)
    event = SimpleNamespace(
        payload={"session_id": session_id, "reason": REASON},
        tracking=Tracking("scheduling>test", random.getrandbits(40)),
    )

    assert app.on_session_cancelled(event) == {"paid": 1, "unpaid": 1}
    dropped = _drops(app, session_id)
    assert [(e.school_id, e.reason, e.operator_reason) for e in dropped] == [
        (ecole_a, SESSION_GONE, REASON),
        (ecole_b, SESSION_GONE, REASON),
    ]
    assert app.waiting_entries(ecole_a) == app.waiting_entries(ecole_b) == []
    (told,) = [
        e
        for e in app.repository.event_store.get(UUID(held["id"]))
        if type(e).__name__ == "HoldCancelled"
    ]
    assert (told.school_id, told.reason) == (holder, REASON)

    # Redelivered, or told again by another message: nothing dropped twice.
    app.on_session_cancelled(event)
    app.on_session_cancelled(
        SimpleNamespace(
            payload=event.payload,
            tracking=Tracking("scheduling>test", random.getrandbits(40)),
        )
    )
    assert len(_drops(app, session_id)) == 2
