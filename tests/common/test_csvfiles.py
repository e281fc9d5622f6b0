"""The files a school downloads open right in a French spreadsheet (EX-1):
read back here as a spreadsheet would (BOM stripped, `;`, quotes)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from services.common.csvfiles import (
    amount_cell,
    day_cell,
    spreadsheet_file,
    time_cell,
)


def opened(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_a_file_starts_with_a_bom_and_separates_with_semicolons_and_crlf():
    content = spreadsheet_file(["Nom", "Montant TTC"], [["Zoé", "30,00"]])
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig") == "Nom;Montant TTC\r\nZoé;30,00\r\n"


def test_a_name_with_separator_quotes_newline_and_accents_stays_one_cell():
    name = 'Hélène; dite "Lény"\nÇa-Œuvre'
    rows = opened(spreadsheet_file(["Nom", "Ville"], [[name, "Besançon"]]))
    assert rows == [["Nom", "Ville"], [name, "Besançon"]]


@pytest.mark.parametrize(
    "typed", ['=HYPERLINK("x")', "+33 6", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_cell_a_spreadsheet_would_run_comes_back_as_text(typed):
    rows = opened(spreadsheet_file(["Nom"], [[typed]]))
    assert rows[1] == ["'" + typed]


def test_dates_and_times_are_paris_days_and_hours():
    # 23:30 UTC on 31 December is already New Year's Day in Paris (winter).
    assert day_cell("2026-12-31T23:30:00+00:00") == "01/01/2027"
    assert time_cell("2026-12-31T23:30:00+00:00") == "00:30"
    # Summer time: two hours ahead.
    assert day_cell("2026-07-14T07:05:00+00:00") == "14/07/2026"
    assert time_cell("2026-07-14T07:05:00+00:00") == "09:05"
    assert day_cell(None) == time_cell(None) == ""
    # A day is a day: no zone moves it.
    assert day_cell(date(2027, 1, 1)) == "01/01/2027"


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(3000, "30,00"), (5, "0,05"), (123456, "1234,56"), (0, "0,00"), (None, "")],
)
def test_amounts_have_a_decimal_comma(cents, shown):
    assert amount_cell(cents) == shown
