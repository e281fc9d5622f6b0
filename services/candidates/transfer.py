"""CSV import and export of candidate files (EX-1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from services.common import inputs
from services.common.csvfiles import CsvError, MissingColumns, read_rows, write_rows

# Column → field of a new file. Schools' spreadsheets use these French headers.
COLUMNS = {
    "neph": "neph",
    "civilite": "civility",
    "nom_naissance": "birth_name",
    "nom_usage": "usage_name",
    "prenoms": "given_names",
    "date_naissance": "birth_date",
    "email": "email",
    "adresse": "address.street",
    "code_postal": "address.postal_code",
    "ville": "address.city",
    "telephone": "phone",
}
REQUIRED = ("neph", "civilite", "nom_naissance", "prenoms", "date_naissance")


class BadCsv(ValueError):
    """The file itself cannot be read (not its lines: those get a report)."""


def _rows(text: str) -> list[dict[str, Any]]:
    try:
        return read_rows(text, REQUIRED)
    except MissingColumns as exc:
        raise BadCsv(f"{exc} (colonnes possibles : {';'.join(COLUMNS)})") from None
    except CsvError as exc:
        raise BadCsv(str(exc)) from None


def _cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def to_file_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column, field in COLUMNS.items():
        value = _cell(row, column)
        if "." in field:
            outer, inner = field.split(".")
            if value:
                data.setdefault(outer, {})[inner] = value
        else:
            data[field] = value or None
    return data


def import_rows(
    text: str, create: Callable[[dict[str, Any]], Any], invalid: type[Exception]
) -> dict[str, Any]:
    """Create a file per line; report every line that failed, and why.

    Each line goes through the same rules as a file created on the page.
    """
    rows = _rows(text)
    created, failed = 0, []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            create(to_file_data(row))
        except invalid as exc:
            failed.append(
                {
                    "line": line,
                    "neph": _reported_neph(row),
                    "errors": getattr(exc, "fields", {"_": [str(exc)]}),
                }
            )
        else:
            created += 1
    return {"created": created, "failed": failed}


def _reported_neph(row: dict[str, Any]) -> str | None:
    """The line's NEPH as typed, for the report, if it is printable text."""
    try:
        return inputs.NEPH.screen(row.get("neph")) or None
    except inputs.InputError:
        return None


EXPORT_HEADER = [
    "neph",
    "civilite",
    "nom_naissance",
    "nom_usage",
    "prenoms",
    "date_naissance",
    "email",
    "statut",
    "cree_le",
]


def export_rows(rows: Iterable[dict[str, Any]]) -> str:
    """The school's files; a name typed as `=HYPERLINK(…)` stays text."""
    return write_rows(
        EXPORT_HEADER,
        (
            [
                r["neph"],
                r.get("civility"),
                r.get("birth_name"),
                r.get("usage_name"),
                r.get("given_names"),
                r.get("birth_date"),
                r.get("email"),
                r["status"],
                r["created_at"][:10],
            ]
            for r in rows
        ),
    )
