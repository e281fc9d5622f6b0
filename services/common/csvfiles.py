"""Reading the CSV files schools and the back office upload, and writing the
ones they download (safe to open in a spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.common import inputs

# Dates and times a school reads are Paris's, whatever the server's zone.
PARIS = ZoneInfo("Europe/Paris")

# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV
# injection"): `=HYPERLINK(…)` typed as a name must come back as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


class Semicolons(csv.excel):
    """French spreadsheets separate fields with « ; »."""

    delimiter = ";"


class CsvError(ValueError):
    """The file itself cannot be read (not one line of it); the message says why."""


class MissingColumns(CsvError):
    """The header lacks required columns; the message names them."""


def read_rows(text: str, required: Iterable[str]) -> list[dict[str, Any]]:
    """Every row as a dict keyed by lower-case headers; `;` or `,` separated.

    The whole file is read before anything is done with it: a file that cannot
    be read is refused whole, never half imported. Its cells are left to the
    rules of their fields, which name the line of each one refused.
    """
    try:
        text = inputs.CSV.screen(text)
    except inputs.InputError as exc:
        raise CsvError(f"Le fichier ne peut pas être lu : {exc}") from None
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    except csv.Error:
        dialect = Semicolons
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        headers = [h.strip().lower() for h in reader.fieldnames or []]
        required = list(required)
        missing = [c for c in required if c not in headers]
        if missing:
            raise MissingColumns(
                "Colonnes manquantes dans l'en-tête : " + ", ".join(missing) + ". "
                "Colonnes attendues : " + ";".join(required)
            )
        reader.fieldnames = headers
        return list(reader)
    except csv.Error as exc:
        raise CsvError(
            f"Le fichier ne peut pas être lu (ligne {reader.line_num}) : "
            "vérifiez les guillemets et le séparateur."
        ) from exc


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_rows(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A `;`-separated file for French spreadsheets, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def spreadsheet_file(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """The bytes of a download a French spreadsheet opens right: UTF-8 with
    a BOM (without it, accents come out garbled), `;`, CRLF, cells safe."""
    return write_rows(header, rows).encode("utf-8-sig")


def _paris(at: str | datetime) -> datetime:
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(PARIS)


def day_cell(at: str | datetime | date | None) -> str:
    """An instant (ISO 8601 with its offset) as its Paris day, dd/mm/yyyy; a
    day (a `date`) as it is."""
    if not at:
        return ""
    if isinstance(at, date) and not isinstance(at, datetime):
        return f"{at:%d/%m/%Y}"
    return f"{_paris(at):%d/%m/%Y}"


def time_cell(at: str | datetime | None) -> str:
    """An instant as its Paris time of day, hh:mm."""
    return f"{_paris(at):%H:%M}" if at else ""


def amount_cell(cents: int | None) -> str:
    """Cents as euros with a decimal comma (30,00): a number to a French
    spreadsheet, where 30.00 would be text or a date."""
    if cents is None:
        return ""
    euros, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{euros},{rest:02d}"
