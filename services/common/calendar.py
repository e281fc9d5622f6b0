"""French working days (jours ouvrés) by département.

A working day is Monday to Friday and not a public holiday where the exam centre
is. Alsace-Moselle (57, 67, 68) keeps Good Friday and St Stephen's Day; overseas
départements have their own days (abolition of slavery, …). The `holidays`
package carries these calendars; this module only maps a département to them.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

# Département code → subdivision code of holidays.France.
_SUBDIVISIONS: dict[str, str] = {
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "976": "976",
}


# No département in particular: the public holidays of all of France
# (what a nationwide service such as the mail carrier's visits keeps).
NATIONAL = "national"


class UnknownDepartement(ValueError):
    """The code is not a French département."""


def departement_of(postal_code: str) -> str:
    """The département of a French postal code (97x/98x overseas, 20 → 2A/2B)."""
    code = postal_code.strip()
    if len(code) != 5 or not code.isdigit():
        raise UnknownDepartement(f"Code postal invalide : {postal_code!r}")
    if code.startswith(("97", "98")):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


@lru_cache(maxsize=64)
def _calendar(departement: str, year: int) -> holidays.HolidayBase:
    subdiv = _SUBDIVISIONS.get(departement)
    return holidays.France(subdiv=subdiv, years=year)


def is_public_holiday(day: date, departement: str) -> bool:
    return day in _calendar(departement, day.year)


def holiday_name(day: date, departement: str) -> str | None:
    return _calendar(departement, day.year).get(day)


def is_working_day(day: date, departement: str) -> bool:
    """Monday to Friday and not a public holiday in that département."""
    return day.weekday() < 5 and not is_public_holiday(day, departement)


def working_days_between(start: date, end: date, departement: str) -> int:
    """Whole working days strictly after `start` and strictly before `end`."""
    count = 0
    day = start + timedelta(days=1)
    while day < end:
        if is_working_day(day, departement):
            count += 1
        day += timedelta(days=1)
    return count


def last_day_with_working_days_before(
    deadline_day: date, working_days: int, departement: str
) -> date:
    """The last date from which at least `working_days` whole working days remain
    before `deadline_day` (those days lie strictly between the two dates).

    For a Monday exam with no holiday and 3 working days this is the Tuesday
    before: Wednesday, Thursday and Friday remain.
    """
    day = deadline_day - timedelta(days=1)
    found = 0
    while found < working_days:
        if is_working_day(day, departement):
            found += 1
        day -= timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


# BO-2: a seat can be booked from the day after today until 3 months ahead.
BOOKING_HORIZON_MONTHS = 3


def bookable_days(today: date) -> tuple[date, date]:
    """The first and last exam days that can be booked on `today` (BO-2): from
    tomorrow (bookings close at midnight the day before) to 3 months ahead."""
    return today + timedelta(days=1), add_months(today, BOOKING_HORIZON_MONTHS)
