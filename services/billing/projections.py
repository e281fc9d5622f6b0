"""The school's payments, for « Paiements et factures » (BI-3); the SEPA
refunds not yet in a transfer file (BI-4)."""

from __future__ import annotations

from datetime import date
from functools import singledispatchmethod
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.billing.credit_notes import credit_note_number
from services.billing.domain import (
    ABANDONED,
    CAPTURED,
    DECLINED,
    SEPA,
    STARTED,
    UNPAID,
    Checkout,
    Refund,
)
from services.billing.invoices import invoice_of_year
from services.billing.transfers import RefundTransfer
from services.common.projection import ReadModel
from services.common.view import ReadModelView

PARIS = ZoneInfo("Europe/Paris")


class PaymentListView(ReadModelView):
    """The school's payments, each with the credit notes of its refunded
    seats (EX-1: « Avoirs »)."""

    tables = ("payment_list", "payment_credit_notes")

    def create_statements(self) -> list[sql.Composable]:
        return [
            _without_credit_notes(self.datastore.schema, self.tracking_table_name),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (checkout_id uuid PRIMARY KEY,"
                " school_id text NOT NULL, method text NOT NULL, status text NOT NULL,"
                " amount_cents int NOT NULL, seats int NOT NULL,"
                " invoice_number int, created_at timestamptz NOT NULL, paid_on date)"
            ).format(self.table("payment_list")),
            # Why a payment failed after the fact (a returned SEPA debit).
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS"
                " reason text NOT NULL DEFAULT ''"
            ).format(self.table("payment_list")),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS payment_list_invoice ON {} (invoice_number)"
            ).format(self.table("payment_list")),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (refund_id uuid PRIMARY KEY,"
                " checkout_id uuid NOT NULL, number text NOT NULL,"
                " amount_cents int NOT NULL, refunded_at timestamptz NOT NULL)"
            ).format(self.table("payment_credit_notes")),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS payment_credit_notes_checkout"
                " ON {} (checkout_id)"
            ).format(self.table("payment_credit_notes")),
        ]

    def add_credit_note(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("payment_credit_notes", row, tracking)

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("payment_list", row, tracking)

    def update(self, checkout_id: Any, changes: dict, tracking: Tracking) -> None:
        self.update_row("payment_list", ("checkout_id", checkout_id), changes, tracking)

    def for_school(self, school_id: str) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT * FROM {} WHERE school_id = %s ORDER BY created_at DESC"
                ).format(self.table("payment_list")),
                (school_id,),
            )
            rows = curs.fetchall()
            notes = self._credit_notes(curs, [r["checkout_id"] for r in rows])
            return [
                {
                    "id": str(r["checkout_id"]),
                    "method": r["method"],
                    "status": r["status"],
                    "amount_cents": r["amount_cents"],
                    "seats": r["seats"],
                    "invoice_number": r["invoice_number"],
                    "reason": r["reason"],
                    "created_at": r["created_at"].isoformat(),
                    **_paid(r["invoice_number"], r["paid_on"]),
                    "credit_notes": notes.get(r["checkout_id"], []),
                }
                for r in rows
            ]

    def _credit_notes(
        self, curs: Any, checkout_ids: list[UUID]
    ) -> dict[UUID, list[dict[str, Any]]]:
        """The credit notes of these payments, oldest first: number as
        printed and amount refunded."""
        curs.execute(
            sql.SQL(
                "SELECT checkout_id, number, amount_cents FROM {}"
                " WHERE checkout_id = ANY(%s) ORDER BY refunded_at, number"
            ).format(self.table("payment_credit_notes")),
            (checkout_ids,),
        )
        notes: dict[UUID, list[dict[str, Any]]] = {}
        for r in curs.fetchall():
            notes.setdefault(r["checkout_id"], []).append(
                {"number": r["number"], "amount_cents": r["amount_cents"]}
            )
        return notes

    def pending(self) -> list[UUID]:
        """Checkouts still « en cours »: few, and each settled within minutes."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT checkout_id FROM {} WHERE status = %s ORDER BY created_at"
                ).format(self.table("payment_list")),
                (STARTED,),
            )
            return [r["checkout_id"] for r in curs.fetchall()]

    def with_invoice(self, number: int) -> UUID | None:
        """The checkout an invoice number was issued to (one at most)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL("SELECT checkout_id FROM {} WHERE invoice_number = %s").format(
                    self.table("payment_list")
                ),
                (number,),
            )
            row = curs.fetchone()
            return row["checkout_id"] if row else None

    def sepa_paid_on(self, day: date) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT checkout_id FROM {} WHERE method = 'sepa'"
                    " AND status = %s AND paid_on = %s ORDER BY invoice_number"
                ).format(self.table("payment_list")),
                (CAPTURED, day),
            )
            return [{"id": str(r["checkout_id"])} for r in curs.fetchall()]


def _paid(number: int | None, day: date | None) -> dict[str, str | None]:
    """The Paris day a payment was captured and its invoice's number as
    printed (F2027-000017), for the export (EX-1); None before."""
    if number is None or day is None:
        return {"paid_on": None, "invoice": None}
    return {"paid_on": day.isoformat(), "invoice": invoice_of_year(number, day.year)}


class PaymentList(Projection[PaymentListView]):
    name = "payment_list"
    topics = tuple(
        get_topic(c)
        for c in (
            Checkout.Started,
            Checkout.Declined,
            Checkout.Captured,
            Checkout.Abandoned,
            Checkout.DebitReturned,
            Refund.Issued,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: Checkout.Started, tracking: Tracking) -> None:
        self.view.add(
            {
                "checkout_id": e.originator_id,
                "school_id": e.school_id,
                "method": e.method,
                "status": STARTED,
                "amount_cents": e.amount_cents,
                "seats": len(e.reservation_ids),
                "created_at": e.timestamp,
            },
            tracking,
        )

    @process_event.register
    def _(self, e: Checkout.Declined, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": DECLINED}, tracking)

    @process_event.register
    def _(self, e: Checkout.Abandoned, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": ABANDONED}, tracking)

    @process_event.register
    def _(self, e: Checkout.Captured, tracking: Tracking) -> None:
        self.view.update(
            e.originator_id,
            {
                "status": CAPTURED,
                "invoice_number": e.invoice_number,
                "paid_on": e.captured_at.astimezone(PARIS).date(),
            },
            tracking,
        )

    @process_event.register
    def _(self, e: Checkout.DebitReturned, tracking: Tracking) -> None:
        self.view.update(
            e.originator_id,
            {"status": UNPAID, "reason": f"{e.reason} ({e.reason_code})"},
            tracking,
        )

    @process_event.register
    def _(self, e: Refund.Issued, tracking: Tracking) -> None:
        self.view.add_credit_note(
            {
                "refund_id": e.originator_id,
                "checkout_id": e.checkout_id,
                "number": credit_note_number(e.credit_note_number, e.refunded_at),
                "amount_cents": e.amount_cents,
                "refunded_at": e.refunded_at,
            },
            tracking,
        )


def _without_credit_notes(schema: str, tracking_table: str) -> sql.Composable:
    """A payment list built before it kept the credit notes (EX-1): dropped,
    with its position, so that it is built again from the log with them."""
    return sql.SQL(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = {schema} AND table_name = 'payment_list')"
        " AND NOT EXISTS (SELECT 1 FROM information_schema.tables"
        " WHERE table_schema = {schema} AND table_name = 'payment_credit_notes')"
        " THEN DROP TABLE {table}; TRUNCATE {tracking}; END IF; END $$"
    ).format(
        schema=sql.Literal(schema),
        table=sql.Identifier(schema, "payment_list"),
        tracking=sql.Identifier(schema, tracking_table),
    )


class SepaRefundsView(ReadModelView):
    """Refunds of SEPA payments, and the day of the transfer file each went
    in (none yet: still to pay back, or withheld)."""

    tables = ("sepa_refunds",)

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (refund_id uuid PRIMARY KEY,"
                " refunded_on date NOT NULL, file_day date)"
            ).format(self.table("sepa_refunds")),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS sepa_refunds_unfiled ON {} (refunded_on)"
                " WHERE file_day IS NULL"
            ).format(self.table("sepa_refunds")),
        ]

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("sepa_refunds", row, tracking)

    def filed(self, refund_id: UUID, day: str, tracking: Tracking) -> None:
        self.update_row(
            "sepa_refunds", ("refund_id", refund_id), {"file_day": day}, tracking
        )

    def unfiled(self, day: date) -> list[UUID]:
        """Refunds recorded by `day` and in no transfer file yet, oldest first."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT refund_id FROM {} WHERE file_day IS NULL"
                    " AND refunded_on <= %s ORDER BY refunded_on, refund_id"
                ).format(self.table("sepa_refunds")),
                (day,),
            )
            return [r["refund_id"] for r in curs.fetchall()]


class SepaRefunds(Projection[SepaRefundsView]):
    name = "sepa_refunds"
    topics = tuple(get_topic(c) for c in (Refund.Issued, RefundTransfer.Filed))

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: Refund.Issued, tracking: Tracking) -> None:
        if e.method != SEPA:  # refunded to the card there and then
            self.view.insert_tracking(tracking)
            return
        row = {
            "refund_id": e.originator_id,
            "refunded_on": e.refunded_at.astimezone(PARIS).date(),
        }
        self.view.add(row, tracking)

    @process_event.register
    def _(self, e: RefundTransfer.Filed, tracking: Tracking) -> None:
        self.view.filed(e.refund_id, e.file_day, tracking)


READ_MODELS = {
    "payment_list": ReadModel(PaymentList, PaymentListView),
    "sepa_refunds": ReadModel(SepaRefunds, SepaRefundsView),
}
