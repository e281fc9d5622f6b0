"""EX-3 on the real PostgreSQL: two days before its exam a confirmed
reservation records `ReminderDue`, once, whatever the sweeps, replicas and
restarts; a cancelled one never; a changed one for its new date. What is
published names nobody."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.projections import READ_MODELS
from services.booking.publications import PUBLISHED
from services.common import contracts
from services.common.clock import FrozenClock
from tests.booking.test_cancellation import _paid
from tests.booking.test_seats import NOBODY, open_session

TWO_DAYS = timedelta(days=2)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    follower = READ_MODELS["reservation_list"].follower(app)
    app.views["reservation_list"] = follower.view
    app.catch_up = follower.run_until_caught_up  # the list, as the service keeps it
    yield app
    follower.release()
    app.close()


def _sweep(app) -> list[str]:
    app.catch_up()
    return app.send_reminders()


def _reminders(app, reservation_id: UUID) -> list[Reservation.ReminderDue]:
    return [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.ReminderDue)
    ]


def test_reminded_once_two_days_before_and_not_before(app, settings):
    ecole, _, reservation_id, _ = _paid(app)
    exam = app.repository.get(reservation_id).exam_starts_at
    app.clock.set(exam - TWO_DAYS - MINUTE)
    assert str(reservation_id) not in _sweep(app)
    app.clock.set(exam - TWO_DAYS + MINUTE)
    assert str(reservation_id) in _sweep(app)
    assert str(reservation_id) not in _sweep(app)  # the next sweep
    # A restart (a new process, nothing cached) sweeps: nothing more.
    again = BookingApplication(settings=settings)
    again.clock = app.clock
    again.views["reservation_list"] = app.views["reservation_list"]
    try:
        assert str(reservation_id) not in again.send_reminders()
    finally:
        again.close()
    (due,) = _reminders(app, reservation_id)
    body = contracts.ReminderDue().load(
        PUBLISHED[Reservation.ReminderDue].dump(due, app)
    )
    assert body["reservation_id"] == reservation_id and body["school_id"] == ecole
    assert body["exam_starts_at"] == exam
    assert body["centre_name"] == "Centre Lyon Gerland"
    # Ids and the exam: nobody's name or NEPH travels.
    assert not {"candidate_name", "neph", "birth_date"} & set(body)


def test_two_replicas_sweeping_at_once_record_one_reminder(app, settings):
    _, _, reservation_id, _ = _paid(app)
    exam = app.repository.get(reservation_id).exam_starts_at
    other = BookingApplication(settings=settings)
    other.clock = app.clock
    other.views["reservation_list"] = app.views["reservation_list"]
    try:
        other.repository.get(reservation_id)  # its cached copy, soon stale
        app.clock.set(exam - TWO_DAYS + MINUTE)
        assert str(reservation_id) in _sweep(app)
        # The other replica's copy meets the version check: it writes nothing.
        assert str(reservation_id) not in other.send_reminders()
        assert str(reservation_id) not in other.send_reminders()
    finally:
        other.close()
    assert len(_reminders(app, reservation_id)) == 1


def test_a_cancelled_reservation_is_not_reminded(app):
    ecole, _, reservation_id, _ = _paid(app)
    exam = app.repository.get(reservation_id).exam_starts_at
    app.cancel(ecole, reservation_id)
    app.clock.set(exam - TWO_DAYS + MINUTE)
    assert str(reservation_id) not in _sweep(app)
    assert _reminders(app, reservation_id) == []


def test_a_changed_reservation_is_reminded_of_its_new_date(app):
    ecole, _, reservation_id, _ = _paid(app)
    old = app.repository.get(reservation_id).exam_starts_at
    app.change(ecole, reservation_id, open_session(app, seats=5, days=30), NOBODY)
    new = app.repository.get(reservation_id).exam_starts_at
    app.clock.set(old - TWO_DAYS + MINUTE)
    assert str(reservation_id) not in _sweep(app)
    app.clock.set(new - TWO_DAYS + MINUTE)
    assert str(reservation_id) in _sweep(app)
    (due,) = _reminders(app, reservation_id)
    assert due.exam_starts_at == new


def test_an_exam_passed_is_not_reminded(app):
    _, _, reservation_id, _ = _paid(app)
    exam = app.repository.get(reservation_id).exam_starts_at
    app.clock.set(exam + MINUTE)
    assert str(reservation_id) not in _sweep(app)
    assert _reminders(app, reservation_id) == []
