"""Reading the CSV files schools and the back office upload."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


class Semicolons(csv.excel):
    """French spreadsheets separate fields with « ; »."""

    delimiter = ";"


class MissingColumns(ValueError):
    """The header lacks required columns; the message names them."""


def read_rows(text: str, required: Iterable[str]) -> csv.DictReader:
    """Rows as dicts keyed by lower-case headers; `;` or `,` separated."""
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    except csv.Error:
        dialect = Semicolons
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=dialect)
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    required = list(required)
    missing = [c for c in required if c not in headers]
    if missing:
        raise MissingColumns(
            "Colonnes manquantes dans l'en-tête : " + ", ".join(missing) + ". "
            "Colonnes attendues : " + ";".join(required)
        )
    reader.fieldnames = headers
    return reader
