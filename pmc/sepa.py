"""`pmc sepa-returns` and `pmc sepa-lift`: the bank's returned debits, applied
by the back office (BI-1); `pmc sepa-transfers`: the refunds' transfer file
for the bank (BI-4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from services.billing.returns import MAX_FILE_BYTES, ReturnFileRefused
from services.common import inputs
from services.common.settings import Settings

# Exit codes: every line applied (or already); some line reported; refused.
DONE, REPORTED, REFUSED = 0, 1, 2


def _billing(read_model: str = "payment_list") -> Any:
    from services.billing.application import BillingApplication
    from services.billing.projections import READ_MODELS

    app = BillingApplication(settings=Settings.from_env())
    # Returns are found by invoice number in the payments' read model, refunds
    # to pay back in the SEPA refunds' one: the running service keeps both.
    app.views[read_model] = READ_MODELS[read_model].follower(app).view
    return app


def sepa_returns(args: argparse.Namespace) -> int:
    """Apply a return file: refused whole (nothing applied) when it is not a
    camt.054 or pain.002 or is malformed; otherwise a report line by line."""
    from services.billing.debit_returns import ALREADY, APPLIED

    try:
        with Path(args.file).open("rb") as file:
            content = file.read(MAX_FILE_BYTES + 1)  # a bigger one is refused
    except OSError as exc:
        print(f"Fichier illisible : {exc.strerror}", file=sys.stderr)
        return REFUSED
    app = _billing()
    try:
        report = app.import_returns(content)
    except ReturnFileRefused as exc:
        print(f"Fichier refusé : {exc}", file=sys.stderr)
        return REFUSED
    finally:
        app.close()
    lines = report["lines"]
    print(
        f"{report['kind']} : {len(lines)} prélèvement(s) retourné(s), "
        f"{report['ignored']} autre(s) opération(s) ignorée(s)"
    )
    for line in lines:
        print(
            f"  opération {line['position']} ({line['end_to_end_id']}, "
            f"{line['reason_code']}) : {line['outcome']} — {line['detail']}"
        )
    fine = all(line["outcome"] in (APPLIED, ALREADY) for line in lines)
    return DONE if fine else REPORTED


def sepa_lift(args: argparse.Namespace) -> int:
    """The school settled its returns with the back office: SEPA again."""
    try:
        school_id = str(UUID(args.school_id))
        note = inputs.SEARCH.clean(args.note)
    except (ValueError, inputs.InputError) as exc:
        print(f"Argument invalide : {exc}", file=sys.stderr)
        return REFUSED
    app = _billing()
    try:
        lifted = app.lift_sepa_restriction(school_id, note)
    finally:
        app.close()
    if not lifted:
        print("Aucun prélèvement impayé en attente pour cette auto-école.")
    else:
        print(
            f"Prélèvement SEPA de nouveau possible ({len(lifted)} impayé(s) réglé(s))."
        )
    return DONE


def sepa_transfers(args: argparse.Namespace) -> int:
    """DAY's refunds by SEPA transfer as a pain.001 file on the standard
    output (the same file each time DAY is asked); the refunds withheld from
    it on the error output."""
    from services.billing.domain import CheckoutError
    from services.billing.transfers import NothingToTransfer

    try:
        day = inputs.day(args.day)
    except inputs.InputError as exc:
        print(f"DAY: {exc}", file=sys.stderr)
        return REFUSED
    app = _billing("sepa_refunds")
    try:
        report = app.sepa_transfers(day)
    except NothingToTransfer as exc:
        _withheld(exc.withheld)
        print(exc, file=sys.stderr)
        return REPORTED
    except CheckoutError as exc:
        print(exc, file=sys.stderr)
        return REFUSED
    finally:
        app.close()
    sys.stdout.buffer.write(report.xml)
    _withheld(report.withheld)
    print(f"{report.transfers} remboursement(s) à virer.", file=sys.stderr)
    return DONE


def _withheld(withheld: list[tuple[str, str]]) -> None:
    for note, why in withheld:
        print(f"  avoir {note} non viré : {why}", file=sys.stderr)
