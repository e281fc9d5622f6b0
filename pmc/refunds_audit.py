"""`pmc audit-refunds` (OP-1): the refunds due against the refunds paid,
reservation by reservation, from the event logs alone.

Due: each cancellation booking recorded after a payment (the school's within
the deadline, the operator's session cancellation, a line paid after its hold
ended): the share its snapshot promised, or the invoice's unit price when the
reservation predates snapshots, never more than the unit price (as billing
computes it). Nothing is due for a payment billing never captured, nor for a
SEPA debit the bank returned before the cancellation (money never received).
Paid: each `Refund.Issued` in billing's log. Every reservation where the two
differ is reported; the exit status is 1 when one does, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic

from pmc import registry
from services.billing.domain import Checkout, Refund
from services.booking.domain import Reservation
from services.common import inputs
from services.common.csvfiles import amount_cell, spreadsheet_file
from services.common.settings import Settings

PARIS = ZoneInfo("Europe/Paris")
BATCH = 5_000
MISSING, DOUBLED, WRONG_AMOUNT, NOT_DUE = (
    "manquant",
    "en double",
    "montant erroné",
    "non dû",
)
COLUMNS = [
    "Réservation",
    "Auto-école",
    "Annulée le",
    "Par",
    "Dû",
    "Remboursé",
    "Écart",
]


@dataclass
class Payment:
    """What billing's log says of one checkout."""

    unit_price_cents: int
    captured: bool = False
    returned_at: datetime | None = None


@dataclass
class Due:
    reservation_id: str
    school_id: str
    checkout_id: str
    cancelled_at: datetime
    cancelled_by: str
    asked_cents: int | None


@dataclass
class Finding:
    reservation_id: str
    school_id: str
    cancelled_at: datetime | None
    cancelled_by: str
    due_cents: int | None
    paid_cents: list[int] = field(default_factory=list)
    kind: str = ""


def due_amount(due: Due, payment: Payment | None) -> int | None:
    """What billing owes for this cancellation; None when nothing is."""
    if payment is None or not payment.captured:
        return None
    if payment.returned_at is not None and payment.returned_at <= due.cancelled_at:
        return None
    unit = payment.unit_price_cents
    return unit if due.asked_cents is None else max(0, min(due.asked_cents, unit))


def compare(
    dues: Iterable[Due],
    payments: dict[str, Payment],
    refunds: dict[str, list[tuple[str, int]]],
) -> tuple[list[Finding], int, int]:
    """(the differences, refunds due, refunds paid). `refunds` maps a
    reservation to its (school, amount) refunds."""
    findings: list[Finding] = []
    seen: set[str] = set()
    due_count = 0
    for due in dues:
        seen.add(due.reservation_id)
        owed = due_amount(due, payments.get(due.checkout_id))
        paid = [amount for _, amount in refunds.get(due.reservation_id, [])]
        due_count += owed is not None
        kind = _difference(owed, paid)
        if kind:
            findings.append(
                Finding(
                    due.reservation_id,
                    due.school_id,
                    due.cancelled_at,
                    due.cancelled_by,
                    owed,
                    paid,
                    kind,
                )
            )
    for reservation_id, paid_refunds in refunds.items():
        if reservation_id not in seen:
            school = paid_refunds[0][0]
            amounts = [amount for _, amount in paid_refunds]
            findings.append(
                Finding(reservation_id, school, None, "", None, amounts, NOT_DUE)
            )
    paid_count = sum(len(r) for r in refunds.values())
    return findings, due_count, paid_count


def _difference(owed: int | None, paid: list[int]) -> str:
    if owed is None:
        return NOT_DUE if paid else ""
    if not paid:
        return MISSING
    if len(paid) > 1:
        return DOUBLED
    return WRONG_AMOUNT if paid[0] != owed else ""


# -- reading the logs ---------------------------------------------------------


def _events(app: Any, classes: Iterable[type]) -> Iterator[Any]:
    """The app's stored events of these classes, in log order, in batches."""
    topics = [get_topic(cls) for cls in classes]
    start = 1
    while True:
        batch = app.recorder.select_notifications(
            start=start, limit=BATCH, topics=topics
        )
        for notification in batch:
            yield app.mapper.to_domain_event(notification)
        if len(batch) < BATCH:
            return
        start = batch[-1].id + 1


def read_logs(settings: Settings, school: str | None) -> tuple[list, dict, dict]:
    """(dues, payments by checkout, refunds by reservation) of one school or all."""
    booking = registry.application_class("booking")(settings=settings)
    try:
        dues = [
            Due(
                str(e.originator_id),
                e.school_id,
                str(e.checkout_id),
                e.cancelled_at,
                e.cancelled_by,
                e.refund_cents,
            )
            for e in _events(booking, [Reservation.Cancelled])
            if school is None or e.school_id == school
        ]
    finally:
        booking.close()
    billing = registry.application_class("billing")(settings=settings)
    try:
        payments: dict[str, Payment] = {}
        refunds: dict[str, list[tuple[str, int]]] = defaultdict(list)
        wanted = [Checkout.Started, Checkout.Captured, Checkout.DebitReturned]
        for e in _events(billing, [*wanted, Refund.Issued]):
            key = str(e.originator_id)
            if isinstance(e, Checkout.Started):
                payments[key] = Payment(e.unit_price_cents)
            elif isinstance(e, Checkout.Captured) and key in payments:
                payments[key].captured = True
            elif isinstance(e, Checkout.DebitReturned) and key in payments:
                payments[key].returned_at = e.returned_at
            elif isinstance(e, Refund.Issued) and school in (None, e.school_id):
                refunds[e.reservation_id].append((e.school_id, e.amount_cents))
    finally:
        billing.close()
    return dues, payments, dict(refunds)


# -- the report ---------------------------------------------------------------


def _row(f: Finding) -> list[str]:
    return [
        f.reservation_id,
        f.school_id,
        f.cancelled_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        if f.cancelled_at
        else "",
        f.cancelled_by,
        amount_cell(f.due_cents) if f.due_cents is not None else "",
        " + ".join(amount_cell(c) for c in f.paid_cents),
        f.kind,
    ]


def table(findings: list[Finding]) -> list[str]:
    rows = [COLUMNS, *(_row(f) for f in findings)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def audit_refunds(args: argparse.Namespace) -> int:
    school = None
    if args.school is not None:
        try:
            school = inputs.TOKEN.clean(args.school, required=True)
        except inputs.InputError as exc:
            print(f"--school: {exc}", file=sys.stderr)
            return 2
    dues, payments, refunds = read_logs(Settings.from_env(), school)
    findings, due_count, paid_count = compare(dues, payments, refunds)
    if args.csv:
        Path(args.csv).write_bytes(spreadsheet_file(COLUMNS, map(_row, findings)))
    if findings:
        print("\n".join(table(findings)))
    print(
        f"{due_count} remboursement(s) dû(s), {paid_count} remboursement(s) "
        f"payé(s), {len(findings)} écart(s)"
    )
    return 1 if findings else 0
