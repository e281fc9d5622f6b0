"""Until when a paid reservation can be changed or cancelled (BO-6, BO-7):
while at least 3 whole working days remain strictly between today (Paris)
and the exam day, working days being Monday to Friday less the public
holidays of the centre's département. Pure date arithmetic."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.common.calendar import last_day_with_working_days_before

PARIS = ZoneInfo("Europe/Paris")
# Only a confirmed reservation can be changed or cancelled (domain.CONFIRMED).
CONFIRMED = "confirmée"

# BO-6, BO-7: a change or a cancellation needs this many whole working days
# left strictly between today (Paris) and the exam day.
WORKING_DAYS_BEFORE_EXAM = 3
# EX-4: the cancellation rule in force, recorded on each reservation when it
# is paid; a later rule changes none of them.
REFUND_PERCENT = 100


def change_deadline(
    exam_starts_at: datetime,
    departement: str,
    working_days: int = WORKING_DAYS_BEFORE_EXAM,
) -> date | None:
    """The last day (Paris) to change or cancel; unknown without the centre's
    département (its holidays count: Alsace-Moselle has two more)."""
    if not departement:
        return None
    exam_day = exam_starts_at.astimezone(PARIS).date()
    return last_day_with_working_days_before(exam_day, working_days, departement)


def changes_allowed_until(
    exam_starts_at: datetime,
    departement: str,
    working_days: int = WORKING_DAYS_BEFORE_EXAM,
) -> datetime | None:
    """The last instant to change or cancel: 23:59:59 Paris time on the last
    day (a Monday exam with no holiday near: the Tuesday before), as an
    aware instant, so that a summer or winter offset is the one of that day."""
    last_day = change_deadline(exam_starts_at, departement, working_days)
    if last_day is None:
        return None
    return datetime.combine(last_day, time(23, 59, 59), PARIS)


def allowed_until(
    status: str,
    exam_starts_at: datetime,
    departement: str | None,
    now: datetime,
    working_days: int = WORKING_DAYS_BEFORE_EXAM,
) -> datetime | None:
    """A confirmed reservation's last instant to change or cancel, None once
    past (or when it is not confirmed, or its centre's département unknown)."""
    if status != CONFIRMED:
        return None
    until = changes_allowed_until(exam_starts_at, departement or "", working_days)
    return until if until is not None and now <= until else None
