"""The period a search looks in (SC-3, BO-2): « Avant le » excluded, and a
period nothing can be booked in said in words."""

from __future__ import annotations

from datetime import date

import pytest

from services.scheduling.application import SearchPeriodError, search_period

TODAY = date(2026, 11, 24)  # bookable: 25/11/2026 to 24/02/2027


def test_without_dates_everything_bookable():
    assert search_period(TODAY, None, None) == (
        date(2026, 11, 25),
        date(2027, 2, 25),
        None,
    )


def test_avant_le_is_the_end_itself_so_its_day_is_left_out():
    start, end, _ = search_period(TODAY, date(2026, 12, 1), date(2026, 12, 8))
    assert (start, end) == (date(2026, 12, 1), date(2026, 12, 8))


def test_a_period_partly_beyond_three_months_is_cut_and_said():
    _, end, notice = search_period(TODAY, None, date(2027, 6, 1))
    assert end == date(2027, 2, 25)
    assert notice == (
        "Les sessions se réservent au plus 3 mois à l'avance : seules celles "
        "jusqu'au 24/02/2027 sont proposées."
    )


@pytest.mark.parametrize(
    ("after", "before", "message"),
    [
        (
            date(2026, 12, 8),
            date(2026, 12, 1),
            "La date « Avant le » doit être postérieure à la date « À partir du ».",
        ),
        (
            date(2026, 12, 8),
            date(2026, 12, 8),
            "La date « Avant le » doit être postérieure à la date « À partir du ».",
        ),
        (
            date(2027, 3, 1),
            None,
            "Les sessions se réservent au plus 3 mois à l'avance : choisissez "
            "une date « À partir du » jusqu'au 24/02/2027.",
        ),
        (
            None,
            date(2026, 11, 25),
            "Les sessions se réservent au plus tard la veille de l'examen : "
            "choisissez une date « Avant le » après le 25/11/2026.",
        ),
    ],
)
def test_a_period_nothing_can_be_booked_in_is_explained(after, before, message):
    with pytest.raises(SearchPeriodError) as refused:
        search_period(TODAY, after, before)
    assert str(refused.value) == message
