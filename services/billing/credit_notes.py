"""Refunds of cancelled reservations (BI-4, EX-4): booking's
`ReservationCancelled` is refunded once, and credited by a credit note
(facture d'avoir) referencing the invoice, numbered in its own gapless
sequence in the same transaction as the refund. A card payment is refunded
through the card provider there and then; a SEPA debit by a credit transfer
to the account it was taken from, in a later transfer file (transfers.py).

Exactly once whatever the redeliveries: the provider's refund takes a key
drawn from the reservation (a retry after a crash gets the same refund back),
the refund's id is drawn from the reservation too (a second one cannot be
saved), and the message's tracking is saved with it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.billing.domain import (
    CAPTURED,
    CARD,
    SEPA,
    Checkout,
    CheckoutError,
    CreditNoteSequence,
    Refund,
)
from services.billing.invoices import PARIS, excluding_vat, invoice_number
from services.billing.sealed import issued_invoice
from services.billing.sepa import refund_due_on
from services.common import contracts
from services.common.envelope import Delivered
from services.common.invoice_pdf import render_credit_note
from services.common.store import Publication, retry_on_conflict

log = logging.getLogger(__name__)

REFUND_ATTEMPTS = 100
# How a refund is paid back, by payment method.
REFUNDABLE = (CARD, SEPA)
# A SEPA refund's money goes back in a transfer file, not through a provider.
BY_TRANSFER = "virement SEPA"


class CreditNoteNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Aucune facture d'avoir pour cette réservation.")


def credit_note_number(number: int, at: datetime) -> str:
    return f"A{at.astimezone(PARIS):%Y}-{number:06d}"


def credit_note(
    invoice: dict[str, Any],
    line: dict[str, Any],
    amount_cents: int,
    number: int,
    at: datetime,
) -> dict[str, Any]:
    """The credit note of one refunded seat of `invoice`: same seller and
    buyer as the invoice it refers to, the seat's line, the refunded amount
    all taxes included and its VAT derived as the invoice's were."""
    rate = invoice["vat_rate_percent"]
    before_vat = excluding_vat(amount_cents, rate)
    day = at.astimezone(PARIS).date().isoformat()
    return {
        "kind": "avoir",
        "number": credit_note_number(number, at),
        "date": day,
        "refunded_on": day,
        "invoice_number": invoice["number"],
        "invoice_date": invoice.get("date"),
        "seller": invoice["seller"],
        "buyer": invoice["buyer"],
        "lines": [
            {
                **line,
                "quantity": 1,
                "unit_price_excluding_vat_cents": before_vat,
                "vat_rate_percent": rate,
            }
        ],
        "vat_rate_percent": rate,
        "total_excluding_vat_cents": before_vat,
        "vat_cents": amount_cents - before_vat,
        "total_cents": amount_cents,
        "method": invoice.get("method"),
    }


def _issued(e: Refund.Issued, app: Any) -> dict[str, Any]:
    """`RefundIssued` from the stored event alone; the school's address and
    the credit note opened with the checkout's key."""
    opened = app.vault.unseal(e.checkout_id, e.credit_note_sealed) or {}
    note = opened.get("credit_note") or {}
    return {
        "refund_id": e.originator_id,
        "reservation_id": UUID(e.reservation_id),
        "checkout_id": e.checkout_id,
        "school_id": e.school_id,
        "amount_cents": e.amount_cents,
        "method": e.method,
        "credit_note_number": note.get("number")
        or credit_note_number(e.credit_note_number, e.refunded_at),
        "invoice_number": note.get("invoice_number")
        or invoice_number(e.invoice_number, e.refunded_at),
        "refunded_at": e.refunded_at,
        "school_email": opened.get("school_email"),
        "credit_note": note or None,
        "transfer_from": _transfer_from(e, app),
    }


def _transfer_from(e: Refund.Issued, app: Any) -> str | None:
    """A SEPA refund's first day of transfer (its payment's capture day never
    changes once recorded); None for a card refund, paid back there and then."""
    if e.method != SEPA:
        return None
    try:
        checkout = app.repository.get(e.checkout_id)
    except AggregateNotFoundError:
        return None
    if checkout.paid_at is None:
        return None
    return refund_due_on(checkout.paid_at, e.refunded_at).isoformat()


def _position(checkout: Checkout, reservation_id: str) -> int:
    """Where the seat's line is on the invoice: the invoice lists the
    checkout's lines in their order (the cart's), which `reservation_ids`
    need not follow."""
    ids = [str(line.get("id")) for line in checkout.lines]
    if reservation_id in ids:
        return ids.index(reservation_id)
    return checkout.reservation_ids.index(reservation_id)


PUBLISHED = {Refund.Issued: Publication(contracts.RefundIssued, _issued)}


class Refunds:
    """Part of BillingApplication."""

    def on_reservation_cancelled(self, event: Delivered) -> str | None:
        """Refund a cancelled reservation once; the refund's id, or None when
        there is nothing this service can refund (logged)."""
        payload = event.payload
        if self.has_processed(event.tracking):
            return None  # a redelivery: refunded (or left) the first time
        reservation_id = str(payload["reservation_id"])
        checkout = self._refundable(payload)
        if checkout is None:
            self.record_processed(event.tracking)
            return None
        unit = checkout.unit_price_cents
        asked = payload.get("refund_cents")
        # EX-4: the reservation's snapshot says how much; never more than paid.
        amount = unit if asked is None else max(0, min(asked, unit))
        provider_refund_id = self._paid_back(checkout, reservation_id, amount)

        def attempt() -> str:
            refund_id = Refund.create_id(reservation_id)
            if self._exists(refund_id):
                self.record_processed(event.tracking)
                return str(refund_id)
            credited = self._credited(
                checkout, reservation_id, amount, provider_refund_id
            )
            # Another refund took this number first: the retry takes the next.
            self.save(*credited, tracking=event.tracking)
            return str(refund_id)

        return retry_on_conflict(
            attempt,
            REFUND_ATTEMPTS,
            CheckoutError("Remboursement enregistré plus tard : réessayé."),
        )

    def _paid_back(self, checkout: Checkout, reservation_id: str, amount: int) -> str:
        """The card provider's refund id; a SEPA refund is paid back later,
        by transfer, once due (transfers.py)."""
        if checkout.method == SEPA:
            return BY_TRANSFER
        assert checkout.capture_id is not None  # captured: it has one
        return self.provider.refund(
            checkout.capture_id, amount, f"refund:{reservation_id}"
        )

    def sealed_subject(self, event: Any) -> UUID | None:
        """A refund's credit note is sealed with its checkout's key."""
        if isinstance(event, (Refund.Issued, Refund.Withheld)):
            return event.checkout_id
        return super().sealed_subject(event)  # type: ignore[misc]

    def _refundable(self, payload: dict[str, Any]) -> Checkout | None:
        """The payment that paid for this school's reservation, if it can
        be refunded: captured by card or SEPA. A SEPA debit the bank
        returned is not: money never received is never paid back."""
        try:
            checkout = self.repository.get(payload["checkout_id"])
        except AggregateNotFoundError:
            checkout = None
        reservation_id = str(payload["reservation_id"])
        if (
            not isinstance(checkout, Checkout)
            or checkout.school_id != payload["school_id"]
            or reservation_id not in checkout.reservation_ids
            or checkout.status != CAPTURED
            or checkout.method not in REFUNDABLE
        ):
            log.warning(
                "cancelled reservation %s: no payment of school %s to "
                "refund (checkout %s); left for the back office",
                reservation_id,
                payload["school_id"],
                payload["checkout_id"],
            )
            return None
        return checkout

    def _exists(self, aggregate_id: UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def _credited(
        self,
        checkout: Checkout,
        reservation_id: str,
        amount: int,
        provider_refund_id: str,
    ) -> list[Any]:
        """The credit-note sequence moved on and the refund recorded (last)."""
        try:
            sequence = self.repository.get(CreditNoteSequence.create_id())
        except AggregateNotFoundError:
            sequence = CreditNoteSequence()
        refund_id = Refund.create_id(reservation_id)
        number = sequence.issue(refund_id)
        now = self.clock.now()
        opened = self._opened_capture(checkout)
        invoice = opened.get("invoice") or {}
        lines = invoice.get("lines") or []
        position = _position(checkout, reservation_id)
        line = lines[position] if position < len(lines) else {}
        note = credit_note(invoice, line, amount, number, now)
        school_email = opened.get("school_email")
        sealed = self.vault.seal(
            checkout.id, {"credit_note": note, "school_email": school_email}
        )
        assert checkout.invoice_number is not None  # captured: invoiced
        refund = Refund(
            reservation_id=reservation_id,
            checkout_id=checkout.id,
            school_id=checkout.school_id,
            method=checkout.method,
            amount_cents=amount,
            provider_refund_id=provider_refund_id,
            credit_note_number=number,
            invoice_number=checkout.invoice_number,
            refunded_at=now,
            credit_note_sealed=sealed,
        )
        return [sequence, refund]

    def _opened_capture(self, checkout: Checkout) -> dict[str, Any]:
        """The invoice as issued and the address the school was thanked at
        (in clear for checkouts paid before sealing)."""
        if checkout.invoice_sealed:
            return self.vault.unseal(checkout.id, checkout.invoice_sealed) or {}
        invoice = issued_invoice(self.vault, checkout) or {}
        return {"invoice": invoice, "school_email": checkout.buyer.get("email")}

    def credit_note_pdf(self, school_id: str, reservation_id: UUID) -> bytes:
        """The credit note of one of the school's refunded reservations."""
        try:
            refund = self.repository.get(Refund.create_id(str(reservation_id)))
        except AggregateNotFoundError:
            raise CreditNoteNotFound() from None
        if not isinstance(refund, Refund) or refund.school_id != school_id:
            raise CreditNoteNotFound()
        opened = self.vault.unseal(refund.checkout_id, refund.credit_note_sealed)
        if not opened:
            raise CreditNoteNotFound()
        return render_credit_note(opened["credit_note"])
