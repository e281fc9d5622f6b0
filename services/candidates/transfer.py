"""CSV import and export of candidate files (EX-1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from services.common.csvfiles import MissingColumns, read_rows

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


def _rows(text: str) -> csv.DictReader:
    try:
        return read_rows(text, REQUIRED)
    except MissingColumns as exc:
        raise BadCsv(f"{exc} (colonnes possibles : {';'.join(COLUMNS)})") from None


def to_file_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column, field in COLUMNS.items():
        value = (row.get(column) or "").strip()
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
    """Create a file per line; report every line that failed, and why."""
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
                    "neph": (row.get("neph") or "").strip() or None,
                    "errors": getattr(exc, "fields", {"_": [str(exc)]}),
                }
            )
        else:
            created += 1
    return {"created": created, "failed": failed}


def export_rows(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
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
    )
    for r in rows:
        writer.writerow(
            [
                r["neph"],
                r.get("civility") or "",
                r.get("birth_name") or "",
                r.get("usage_name") or "",
                r.get("given_names") or "",
                r.get("birth_date") or "",
                r.get("email") or "",
                r["status"],
                r["created_at"][:10],
            ]
        )
    return out.getvalue()
