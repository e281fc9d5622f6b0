"""Seats of a busy session freed again and again, past its snapshots (SC-4)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.common.clock import FrozenClock
from services.common.envelope import Delivered, Envelope
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import (
    COLLECTIVE,
    PARIS,
    ExamCentre,
    ExamSession,
    SchedulingError,
)
from tests.scheduling.test_sessions import CENTRES


def released(position: int) -> Delivered:
    envelope = Envelope("booking", "ReservationReleased", 1, position, "")
    return Delivered(envelope=envelope, payload={}, attempt=1)


def test_seats_are_freed_whatever_the_number_of_holds_before():
    app = SchedulingApplication(
        clock=FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    app.import_centres(CENTRES)
    session_id = UUID(
        app.schedule_session(
            ExamCentre.create_id("LYO-1"),
            datetime(2026, 12, 1, 10, 0, tzinfo=PARIS),
            18,
            COLLECTIVE,
        )["id"]
    )
    # A release that arrives before its hold withdraws it; then holds and
    # releases until the session's event count crosses a snapshot (every 100).
    position = 0
    position += 1
    app.release_for(session_id, "late-hold", released(position))
    for _ in range(110):
        hold_id = str(uuid4())
        app.hold(session_id, hold_id, str(uuid4()))
        position += 1
        app.release_for(session_id, hold_id, released(position))
    session = app.repository.get(session_id)
    assert isinstance(session, ExamSession)
    assert session.version > 200
    assert session.free_seats == 18
    # Loaded from its snapshot, the session still refuses a withdrawn hold.
    with pytest.raises(SchedulingError, match="déjà été annulée"):
        app.hold(session_id, "late-hold", str(uuid4()))
