"""Reading a centre's results file (RE-1): every line checked on its own, so
the report names each refused line and says why, in French."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from services.common import csvfiles, inputs

COLUMNS = ("reservation", "note")
# A file of more lines than any centre's day holds is a mistake, not results.
MAX_LINES = 5_000
ABSENT_WORDS = ("absent", "absente")
# ASCII only: int() reads other alphabets' digits (« ٣٥ ») as numbers.
SCORE = re.compile(r"[0-9]{1,2}")
RESERVATION = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class ResultsFileRefused(ValueError):
    """The file cannot be read at all: nothing is imported."""


@dataclass(frozen=True)
class ResultLine:
    line: int
    reservation_id: UUID
    score: int | None  # None: absent


@dataclass(frozen=True)
class RefusedLine:
    line: int
    reason: str


def read_lines(text: str) -> tuple[list[ResultLine], list[RefusedLine]]:
    """The file's lines as results, and those refused with their reason."""
    try:
        rows = csvfiles.read_rows(text, COLUMNS)
    except csvfiles.CsvError as exc:
        raise ResultsFileRefused(str(exc)) from None
    if len(rows) > MAX_LINES:
        raise ResultsFileRefused(
            f"Le fichier compte {len(rows)} lignes : {MAX_LINES} au plus par fichier."
        )
    good: list[ResultLine] = []
    refused: list[RefusedLine] = []
    seen: dict[UUID, int] = {}
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            result = _line(number, row)
        except ValueError as exc:
            refused.append(RefusedLine(number, str(exc)))
            continue
        if result.reservation_id in seen:
            refused.append(
                RefusedLine(
                    number,
                    "Réservation déjà présente dans ce fichier "
                    f"(ligne {seen[result.reservation_id]}).",
                )
            )
            continue
        seen[result.reservation_id] = number
        good.append(result)
    return good, refused


def _cell(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None or isinstance(value, list):
        raise ValueError("Nombre de colonnes incorrect.")
    try:
        return inputs.SEARCH.screen(value)
    except inputs.InputError as exc:
        raise ValueError(f"Colonne « {column} » : {exc}") from None


def _line(number: int, row: dict) -> ResultLine:
    if None in row:  # more cells than the header has columns
        raise ValueError("Nombre de colonnes incorrect.")
    reservation = _cell(row, "reservation")
    note = _cell(row, "note")
    if not RESERVATION.fullmatch(reservation):
        raise ValueError("Numéro de réservation invalide.")
    if note.casefold() in ABSENT_WORDS:
        score = None
    elif SCORE.fullmatch(note):
        score = int(note)
    else:
        raise ValueError("Note invalide : un nombre de 0 à 40, ou « absent ».")
    return ResultLine(number, UUID(reservation), score)
