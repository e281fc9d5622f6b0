"""SC-2: the operator cancels a session only if nobody holds a seat in it
within 7 days of its start (Paris time); earlier, whoever holds one. The
reason travels with `SessionCancelled`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.common.clock import FrozenClock
from services.scheduling.application import NotFound, SchedulingApplication
from services.scheduling.domain import (
    PARIS,
    ExamCentre,
    ExamSession,
    SchedulingError,
    check_cancellable,
    last_cancellation_with_holders,
)
from services.scheduling.publications import PUBLISHED
from tests.scheduling.test_sessions import CENTRES, at

SECOND = timedelta(seconds=1)


def test_the_limit_is_seven_days_before_at_the_same_paris_time():
    # Summer time starts on 29 March 2026: the week before is an hour
    # further in UTC, and the limit stays at 10:00 in Paris.
    starts = at("2026-04-02 10:00")
    limit = last_cancellation_with_holders(starts)
    assert limit.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 3, 26, 10)
    assert limit.astimezone(UTC) == datetime(2026, 3, 26, 9, 0, tzinfo=UTC)
    assert starts.astimezone(UTC) - limit == timedelta(days=7, hours=-1)


def test_holders_stop_a_cancellation_from_seven_days_before():
    starts = at("2026-04-02 10:00")
    limit = last_cancellation_with_holders(starts)
    check_cancellable(starts, limit - SECOND, holders=3)  # still allowed
    with pytest.raises(SchedulingError) as refused:
        check_cancellable(starts, limit, holders=1)
    assert str(refused.value) == (
        "1 place(s) réservée(s) dans cette session, qui commence dans moins "
        "de 7 jours : une session dont des places sont réservées ne peut être "
        "annulée qu'avant le 26/03/2026 à 10 h 00 (heure de Paris)."
    )
    # Seven times 24 hours before would have refused it an hour earlier.
    check_cancellable(starts, starts.astimezone(UTC) - timedelta(days=7), holders=1)


def test_nobody_holding_a_seat_it_may_be_cancelled_until_it_starts():
    starts = at("2026-04-02 10:00")
    check_cancellable(starts, starts - SECOND, holders=0)
    for after in (starts, starts + SECOND):
        with pytest.raises(SchedulingError, match="déjà commencé"):
            check_cancellable(after, after, holders=0)


@pytest.fixture
def app() -> SchedulingApplication:
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    return SchedulingApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def test_the_application_refuses_and_changes_nothing_or_publishes_the_reason(app):
    app.import_centres(CENTRES)
    centre = ExamCentre.create_id("LYO-1")
    soon = app.schedule_session(centre, at("2026-11-28 10:30"), 2, "individuelle")
    later = app.schedule_session(centre, at("2026-12-15 10:30"), 2, "individuelle")
    with pytest.raises(SchedulingError, match="moins de 7 jours"):
        app.cancel_session(UUID(soon["id"]), holders=1, reason="Panne")
    assert app.session(UUID(soon["id"]))["cancelled"] is False
    assert app.cancel_session(UUID(later["id"]), 2, "Salle inondée")["cancelled"]
    (cancelled,) = [
        e
        for e in app.aggregate_history(UUID(later["id"]))
        if isinstance(e, ExamSession.Cancelled)
    ]
    body = PUBLISHED[ExamSession.Cancelled].dump(cancelled, app)
    assert body["reason"] == "Salle inondée"
    with pytest.raises(SchedulingError, match="déjà annulée"):
        app.cancel_session(UUID(later["id"]))
    with pytest.raises(NotFound):  # a centre's id is no session's
        app.cancel_session(centre)
