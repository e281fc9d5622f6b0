"""A hold whose commit answer is lost, on the real PostgreSQL: the school is
told what happened to its seat, never « déjà une place » for its own (TR-3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from services.booking.application import BookingApplication
from services.booking.seats import BookableCandidate, SessionSeats
from services.common.errors import PlatformError
from tests.booking.test_seats import NOBODY, activated, open_session, school


@pytest.fixture
def app(settings) -> Iterator[BookingApplication]:
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def lose_next_answer(app: BookingApplication, after_commit: bool) -> None:
    """The next save fails as a dropped connection does: once committed (the
    answer lost on the way back), or before anything was written."""
    insert = app.recorder.insert_events

    def failing(*items: Any, **kwargs: Any) -> Any:
        app.recorder.insert_events = insert  # once
        if after_commit:
            insert(*items, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    app.recorder.insert_events = failing


def test_a_hold_committed_whose_answer_was_lost_is_the_schools_seat(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    lose_next_answer(app, after_commit=True)
    line = app.hold(ecole, neph, session_id, NOBODY)
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 17 and line["id"] in seats.holders
    candidate = app.repository.get(BookableCandidate.create_id(ecole, neph))
    assert str(candidate.reservation_id) == line["id"]


def test_a_hold_that_failed_before_writing_is_uncertain_and_takes_nothing(app):
    ecole, session_id = school(), open_session(app)
    neph = activated(app, ecole)
    lose_next_answer(app, after_commit=False)
    with pytest.raises(PlatformError) as refused:
        app.hold(ecole, neph, session_id, NOBODY)
    assert refused.value.status == 504
    assert "peut-être été effectuée" in refused.value.message
    seats = app.repository.get(SessionSeats.create_id(session_id))
    assert seats.free_seats == 18
    # Asking again takes the seat: nothing was held the first time.
    line = app.hold(ecole, neph, session_id, NOBODY)
    assert line["id"] in app.repository.get(SessionSeats.create_id(session_id)).holders
