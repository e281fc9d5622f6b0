"""`pmc import-results FILE`: a centre's results, for the back office (RE-1)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.common import inputs
from services.common.settings import Settings

# Exit codes: every line imported; some line refused (the others imported);
# the file refused whole (nothing imported).
DONE, REPORTED, REFUSED = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "import-results",
        help="record a centre's results from a CSV file (reservation;note)",
    )
    parser.add_argument("file")


def import_results(args: argparse.Namespace) -> int:
    """Every line checked; the valid ones recorded together, the refused ones
    listed with their reason."""
    from services.results.application import ResultsApplication
    from services.results.domain import ResultError
    from services.results.imports import ResultsFileRefused

    try:
        with Path(args.file).open("rb") as file:
            content = file.read(inputs.CSV_MAX + 1)  # a bigger one is refused
    except OSError as exc:
        print(f"Fichier illisible : {exc.strerror}", file=sys.stderr)
        return REFUSED
    if len(content) > inputs.CSV_MAX:
        print(f"Fichier refusé : plus de {inputs.CSV_MAX} octets.", file=sys.stderr)
        return REFUSED
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        print("Fichier refusé : il n'est pas encodé en UTF-8.", file=sys.stderr)
        return REFUSED
    app = ResultsApplication(settings=Settings.from_env())
    try:
        report = app.import_results(text)
    except (ResultsFileRefused, ResultError) as exc:
        print(f"Fichier refusé : {exc}", file=sys.stderr)
        return REFUSED
    finally:
        app.close()
    refused = report["refused"]
    imported = report["imported"]
    print(f"{imported} résultat(s) importé(s), {len(refused)} ligne(s) refusée(s)")
    for line in refused:
        print(f"  ligne {line['line']} : {line['reason']}")
    return REPORTED if refused else DONE
