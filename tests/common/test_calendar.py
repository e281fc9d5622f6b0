from datetime import date

import pytest

from services.common.calendar import (
    UnknownDepartement,
    departement_of,
    holiday_name,
    is_working_day,
    last_day_with_working_days_before,
    working_days_between,
)


@pytest.mark.parametrize(
    ("postal_code", "departement"),
    [
        ("69001", "69"),
        ("57000", "57"),
        ("97110", "971"),
        ("20000", "2A"),
        ("20200", "2B"),
        ("01000", "01"),
    ],
)
def test_departement_of_a_postal_code(postal_code, departement):
    assert departement_of(postal_code) == departement


@pytest.mark.parametrize("bad", ["6900", "abcde", "", "690011"])
def test_a_malformed_postal_code_is_refused(bad):
    with pytest.raises(UnknownDepartement):
        departement_of(bad)


def test_weekends_and_national_holidays_are_not_working_days():
    assert is_working_day(date(2026, 11, 23), "75")  # a Monday
    assert not is_working_day(date(2026, 11, 28), "75")  # Saturday
    assert not is_working_day(date(2026, 11, 11), "75")  # Armistice


def test_alsace_moselle_keeps_good_friday_and_st_stephen():
    good_friday = date(2026, 4, 3)
    st_stephen = date(2026, 12, 26)  # a Saturday in 2026; 2025's was a Friday
    assert is_working_day(good_friday, "75")
    for departement in ("57", "67", "68"):
        assert not is_working_day(good_friday, departement)
        assert holiday_name(st_stephen, departement)
    assert not is_working_day(date(2025, 12, 26), "67")
    assert is_working_day(date(2025, 12, 26), "69")


def test_overseas_departements_have_their_own_days():
    # Abolition of slavery: 27 May in Guadeloupe, 20 December in La Réunion.
    assert not is_working_day(date(2026, 5, 27), "971")
    assert is_working_day(date(2026, 5, 27), "974")
    assert holiday_name(date(2026, 12, 20), "974")


def test_working_days_between_counts_whole_days_strictly_inside():
    # From Tuesday 24 to Monday 30 November 2026: Wed, Thu, Fri.
    assert working_days_between(date(2026, 11, 24), date(2026, 11, 30), "75") == 3
    assert working_days_between(date(2026, 11, 25), date(2026, 11, 30), "75") == 2


def test_last_day_to_act_for_a_monday_exam_is_the_tuesday_before():
    monday = date(2026, 11, 30)
    assert last_day_with_working_days_before(monday, 3, "75") == date(2026, 11, 24)


def test_a_holiday_moves_the_last_day_earlier():
    # Exam Monday 16 November 2026; Wednesday 11 November is Armistice, so the
    # three working days are Thu 12, Fri 13 and Tue 10: last day Monday 9.
    monday = date(2026, 11, 16)
    assert last_day_with_working_days_before(monday, 3, "75") == date(2026, 11, 9)
    assert working_days_between(date(2026, 11, 9), monday, "75") == 3
    assert working_days_between(date(2026, 11, 10), monday, "75") == 2
