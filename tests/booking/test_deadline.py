"""BO-6, BO-7: a confirmed reservation can be changed or cancelled while at
least 3 whole working days remain strictly between today (Paris) and the exam
day, working days counted with the centre's département's holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import holidays
import pytest

from services.booking.application import BookingApplication
from services.booking.deadlines import (
    CONFIRMED,
    allowed_until,
    change_deadline,
    changes_allowed_until,
)
from services.booking.projections import READ_MODELS
from services.booking.rules import IN_CART, PARIS
from services.common.calendar import working_days_between
from tests.booking.test_seats import NOBODY, activated, open_session, school


def _exam(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)


def test_a_monday_exam_with_no_holiday_near_closes_the_tuesday_before_at_midnight():
    until = changes_allowed_until(_exam(date(2026, 12, 7)), "75")
    assert until == datetime(2026, 12, 1, 23, 59, 59, tzinfo=PARIS)
    assert until.astimezone(UTC) == datetime(2026, 12, 1, 22, 59, 59, tzinfo=UTC)


def test_allowed_on_tuesday_at_23_59_refused_on_wednesday_at_midnight():
    exam = _exam(date(2026, 12, 7))
    tuesday = datetime(2026, 12, 1, 23, 59, 0, tzinfo=PARIS)
    wednesday = datetime(2026, 12, 2, 0, 0, 0, tzinfo=PARIS)
    assert allowed_until(CONFIRMED, exam, "75", tuesday) is not None
    assert allowed_until(CONFIRMED, exam, "75", wednesday) is None


def test_only_a_confirmed_reservation_can_be_changed_or_cancelled():
    exam = _exam(date(2026, 12, 7))
    early = datetime(2026, 11, 20, 12, 0, tzinfo=PARIS)
    assert allowed_until(IN_CART, exam, "75", early) is None
    assert allowed_until("annulée", exam, "75", early) is None
    assert allowed_until(CONFIRMED, exam, "", early) is None  # centre unknown


def test_a_holiday_among_the_three_days_moves_the_deadline_one_working_day_back():
    # Armistice, Wednesday 11 November 2026: a Monday 16 exam closes on Monday 9.
    assert change_deadline(_exam(date(2026, 11, 16)), "75") == date(2026, 11, 9)
    # Christmas, Friday 25 December 2026: a Monday 28 exam closes Monday 21.
    assert change_deadline(_exam(date(2026, 12, 28)), "75") == date(2026, 12, 21)


def test_alsace_moselle_keeps_good_friday_and_st_stephens_day():
    # Good Friday 26 March 2027; Easter Monday 29 March everywhere.
    exam = _exam(date(2027, 3, 31))  # Wednesday
    assert change_deadline(exam, "69") == date(2027, 3, 24)  # Thu, Fri, Tue left
    for alsace_moselle in ("57", "67", "68"):
        assert change_deadline(exam, alsace_moselle) == date(2027, 3, 23)
    # St Stephen's Day, Tuesday 26 December 2028: a Friday 29 exam closes on
    # Monday 25 (Tuesday to Thursday remain), and on Thursday 21 in
    # Alsace-Moselle (Christmas and St Stephen's Day both off).
    exam = _exam(date(2028, 12, 29))
    assert change_deadline(exam, "75") == date(2028, 12, 25)
    for alsace_moselle in ("57", "67", "68"):
        assert change_deadline(exam, alsace_moselle) == date(2028, 12, 21)


@pytest.mark.parametrize(
    ("departement", "holiday", "exam_day", "mainland", "overseas"),
    [
        # Abolition of slavery, a weekday in 2027: one working day fewer.
        (
            "971",
            date(2027, 5, 27),
            date(2027, 5, 31),
            date(2027, 5, 25),
            date(2027, 5, 24),
        ),
        (
            "973",
            date(2027, 6, 10),
            date(2027, 6, 14),
            date(2027, 6, 8),
            date(2027, 6, 7),
        ),
        (
            "974",
            date(2027, 12, 20),
            date(2027, 12, 23),
            date(2027, 12, 19),
            date(2027, 12, 16),
        ),
        (
            "976",
            date(2027, 4, 27),
            date(2027, 4, 30),
            date(2027, 4, 26),
            date(2027, 4, 25),
        ),
        # Martinique's falls on a Saturday in 2027: no working day lost.
        (
            "972",
            date(2027, 5, 22),
            date(2027, 5, 25),
            date(2027, 5, 19),
            date(2027, 5, 19),
        ),
    ],
)
def test_overseas_departements_have_their_own_holidays(
    departement, holiday, exam_day, mainland, overseas
):
    assert holiday in holidays.France(subdiv=departement, years=holiday.year)
    assert holiday not in holidays.France(years=holiday.year)
    assert change_deadline(_exam(exam_day), "75") == mainland
    assert change_deadline(_exam(exam_day), departement) == overseas


@pytest.mark.parametrize(
    ("exam_day", "offset_hours"),
    [
        # Summer time starts Sunday 29 March 2026: the deadline is in winter time.
        (date(2026, 3, 30), 1),
        # Summer time ends Sunday 25 October 2026: the deadline is in summer time.
        (date(2026, 10, 26), 2),
        # A Thursday 2 April exam closes on Sunday 29 March, the day the
        # clocks change: its 23:59:59 is in summer time.
        (date(2026, 4, 2), 2),
        # Deadline Monday 30 March 2026, after the change: summer time.
        (date(2026, 4, 3), 2),
    ],
)
def test_the_deadline_is_23_59_59_paris_whatever_the_offset(exam_day, offset_hours):
    until = changes_allowed_until(_exam(exam_day), "75")
    assert until.astimezone(PARIS).time().isoformat() == "23:59:59"
    assert until.utcoffset() == timedelta(hours=offset_hours)


@pytest.mark.parametrize("departement", ["75", "57", "67", "68", "971", "974"])
def test_the_deadline_is_the_last_day_with_three_whole_working_days_left(
    departement,
):
    """Against the calendar's own count, for every exam day of a year."""
    day = date(2027, 1, 1)
    while day.year == 2027:
        last = change_deadline(_exam(day), departement)
        assert working_days_between(last, day, departement) >= 3
        assert working_days_between(last + timedelta(days=1), day, departement) < 3
        day += timedelta(days=1)


@pytest.fixture(scope="module")
def app(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def test_every_reservation_answer_says_until_when_it_can_be_changed(app):
    ecole = school()
    held = app.hold(ecole, activated(app, ecole), open_session(app, days=20), NOBODY)
    assert held["changes_allowed_until"] is None  # in the cart: not yet paid
    reservation = app.repository.get(UUID(held["id"]))
    reservation.confirm(uuid4(), app.clock.now())
    app.save(reservation)
    expected = changes_allowed_until(reservation.exam_starts_at, "69")
    assert app._answer(reservation)["changes_allowed_until"] == expected.isoformat()
    # The school's list, built by the service's follower (run by hand here).
    follower = READ_MODELS["reservation_list"].follower(app)
    try:
        follower.run_until_caught_up()
        (row,) = follower.view.search(ecole, now=app.now)
        assert row["changes_allowed_until"] == expected.isoformat()
        (past,) = follower.view.search(ecole, now=expected + timedelta(seconds=1))
        assert past["changes_allowed_until"] is None
    finally:
        follower.release()
