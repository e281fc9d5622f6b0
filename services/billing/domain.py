"""A checkout pays for a cart once; invoices are numbered in one gapless sequence.

What a checkout knows of people comes sealed by the application
(services/billing/sealed.py): its events carry the blobs, never the names,
NEPHs, buyer, IBAN or account holder in clear. Checkouts started before
sealing carry them in clear, and still load.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

STARTED = "en cours"
DECLINED = "refusé"
CAPTURED = "payé"
FAILED = "échec"
# Left pending (a provider failure, a crash), then found never charged.
ABANDONED = "abandonné"
# A SEPA debit the bank gave back (returned or refused) after it was recorded.
UNPAID = "impayé"

# Means of payment.
CARD = "carte"
SEPA = "sepa"


ALREADY_PAID = "Ces places sont déjà payées ou en cours de paiement."


class CheckoutError(ValueError):
    """A checkout rule says no."""


class Checkout(Aggregate):
    """One payment of one school's cart, identified by its idempotency key."""

    @staticmethod
    def create_id(school_id: str, idempotency_key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-checkout:{school_id}:{idempotency_key}")

    class Started(Aggregate.Created):
        school_id: str
        idempotency_key: str
        method: str
        reservation_ids: list[str]
        unit_price_cents: int
        amount_cents: int
        vat_rate_percent: float
        # In clear before sealing; since, the buyer is {}, lines have no
        # name nor NEPH, and the mandate no IBAN nor holder.
        buyer: dict
        lines: list[dict]
        mandate: dict | None
        # Both absent from checkouts started before reconciliation existed.
        started_at: datetime | None = None
        # A keyed digest of what the client asked (the card): the same key
        # with other content is refused, not taken for a retry.
        fingerprint: str = ""
        # Absent before sealing. The buyer and the mandate's IBAN and holder,
        # sealed with the school's key.
        school_sealed: str | None = None
        # Each line's candidate name and NEPH, sealed with the checkout's own
        # key: forgotten when the checkout ends unpaid; once paid, the invoice
        # holds them, as the law keeps it.
        lines_sealed: str | None = None

    @event(Started)
    def __init__(
        self,
        school_id: str,
        idempotency_key: str,
        method: str,
        reservation_ids: list[str],
        unit_price_cents: int,
        amount_cents: int,
        vat_rate_percent: float,
        buyer: dict,
        lines: list[dict],
        mandate: dict | None = None,
        started_at: datetime | None = None,
        fingerprint: str = "",
        school_sealed: str | None = None,
        lines_sealed: str | None = None,
    ) -> None:
        self.school_id = school_id
        self.fingerprint = fingerprint
        self.school_sealed = school_sealed
        self.lines_sealed = lines_sealed
        # When the provider was last asked, by the injected clock: the
        # reconciler leaves a checkout alone until it has had time to answer.
        self.attempted_at = started_at
        # SEPA: the mandate (reference, signature date, IBAN, BIC) it debits under.
        self.mandate = dict(mandate) if mandate else None
        self.idempotency_key = idempotency_key
        self.method = method
        self.reservation_ids = list(reservation_ids)
        self.vat_rate_percent = vat_rate_percent
        # Who pays and for what, as they were when the cart was paid (BI-3).
        self.buyer = dict(buyer)
        self.lines = [dict(line) for line in lines]
        self.unit_price_cents = unit_price_cents
        self.amount_cents = amount_cents
        self.status = STARTED
        self.reason = ""
        self.invoice_number: int | None = None
        self.capture_id: str | None = None
        self.paid_at: datetime | None = None
        self.invoice: dict | None = None
        self.invoice_sealed: str | None = None

    def reconcile_due(self, now: datetime, delay_seconds: float) -> bool:
        """Pending long enough that its outcome must be asked of the provider."""
        since = self.attempted_at or self.created_on
        return self.status == STARTED and (now - since).total_seconds() >= delay_seconds

    class Retried(Aggregate.Event):
        at: datetime

    def retry(self, at: datetime) -> None:
        """A retry with the same key is about to ask the provider again."""
        if self.status != STARTED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        self._retried(at=at)

    @event(Retried)
    def _retried(self, at: datetime) -> None:
        self.attempted_at = at

    class Abandoned(Aggregate.Event):
        reason: str
        abandoned_at: datetime

    def abandon(self, reason: str, at: datetime) -> None:
        """Nothing was charged: the checkout ends and its lines are free again."""
        if self.status != STARTED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        self._abandoned(reason=reason, abandoned_at=at)

    @event(Abandoned)
    def _abandoned(self, reason: str, abandoned_at: datetime) -> None:
        self.status = ABANDONED
        self.reason = reason

    class Declined(Aggregate.Event):
        reason: str

    def decline(self, reason: str) -> None:
        if self.status != STARTED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        self._declined(reason=reason)

    @event(Declined)
    def _declined(self, reason: str) -> None:
        self.status = DECLINED
        self.reason = reason

    class Captured(Aggregate.Event):
        capture_id: str
        invoice_number: int
        captured_at: datetime
        # What the relay publishes (PaymentCaptured) from this event alone.
        # Captures stored before these fields existed lack them: the relay
        # must have published those before such an upgrade.
        school_id: str
        reservation_ids: list[str]
        amount_cents: int
        # In clear before sealing (None since): the buyer's e-mail address.
        school_email: str | None
        # The invoice's figures, fixed when it is issued (absent before); in
        # clear before sealing (None since).
        invoice: dict | None = None
        # The invoice and the buyer's e-mail address, sealed with the
        # checkout's own key, which is kept as long as the invoice must be.
        invoice_sealed: str | None = None
        # « carte » or « sepa » (absent before): booking refunds by it.
        method: str | None = None

    def capture(
        self, capture_id: str, invoice_number: int, at: datetime, invoice_sealed: str
    ) -> None:
        """Paid: `invoice_sealed` is the invoice issued for it, sealed."""
        if self.status != STARTED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        self.trigger_event(
            self.Captured,
            capture_id=capture_id,
            invoice_number=invoice_number,
            captured_at=at,
            school_id=self.school_id,
            reservation_ids=list(self.reservation_ids),
            amount_cents=self.amount_cents,
            school_email=None,
            invoice=None,
            invoice_sealed=invoice_sealed,
            method=self.method,
        )

    @event(Captured)
    def _captured(
        self,
        capture_id: str,
        invoice_number: int,
        captured_at: datetime,
        invoice: dict | None = None,
        invoice_sealed: str | None = None,
    ) -> None:
        self.invoice = invoice
        self.invoice_sealed = invoice_sealed
        self.status = CAPTURED
        self.capture_id = capture_id
        self.invoice_number = invoice_number
        self.paid_at = captured_at

    class DebitReturned(Aggregate.Event):
        """The bank gave the SEPA debit back. Carries what the relay publishes
        (DebitReturned) from this event alone: the reservations it paid for,
        and the sealed invoice that names their candidates to the school."""

        reason_code: str
        reason: str
        returned_at: datetime
        school_id: str
        reservation_ids: list[str]
        amount_cents: int
        invoice_number: int
        lines: list[dict]
        invoice_sealed: str | None

    # The bank's reason code and its meaning, once the debit came back.
    returned_as: tuple[str, str] | None = None

    def debit_returned(self, reason_code: str, reason: str, at: datetime) -> None:
        """Once per payment: a second return of the same debit changes nothing
        (the caller asks `is_returned` first and reports it)."""
        if self.method != SEPA or self.status != CAPTURED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        if self.invoice_number is None:  # captured payments all have one
            raise CheckoutError("Ce paiement n'a pas de facture.")
        self.trigger_event(
            self.DebitReturned,
            reason_code=reason_code,
            reason=reason,
            returned_at=at,
            school_id=self.school_id,
            reservation_ids=list(self.reservation_ids),
            amount_cents=self.amount_cents,
            invoice_number=self.invoice_number,
            lines=[dict(line) for line in self.lines],
            invoice_sealed=self.invoice_sealed,
        )

    @event(DebitReturned)
    def _debit_returned(
        self, reason_code: str, reason: str, returned_at: datetime
    ) -> None:
        self.status = UNPAID
        self.reason = f"{reason} ({reason_code})"
        self.returned_as = (reason_code, reason)

    class RefundFiled(Aggregate.Event):
        """One of its refunds went into a transfer file: a return of its debit
        applied meanwhile meets a version check, not a refund paid back."""

        refund_id: UUID

    def refund_filed(self, refund_id: UUID) -> None:
        if self.method != SEPA or self.status != CAPTURED:
            raise CheckoutError(f"Ce paiement est « {self.status} ».")
        self._refund_filed(refund_id=refund_id)

    @event(RefundFiled)
    def _refund_filed(self, refund_id: UUID) -> None:
        pass  # nothing of the checkout changes: its version does


class InvoiceSequence(Aggregate):
    """The one sequence of invoice numbers (BI-3): each number is issued in the
    same transaction as the payment it invoices, so no number is lost or reused."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "pmc-invoice-sequence")

    class Opened(Aggregate.Created):
        pass

    @event(Opened)
    def __init__(self) -> None:
        self.last = 0

    class NumberIssued(Aggregate.Event):
        number: int
        checkout_id: UUID

    def issue(self, checkout_id: UUID) -> int:
        self._number_issued(number=self.last + 1, checkout_id=checkout_id)
        return self.last

    @event(NumberIssued)
    def _number_issued(self, number: int, checkout_id: UUID) -> None:
        self.last = number


class CreditNoteSequence(InvoiceSequence):
    """The credit notes' own gapless sequence (BI-4), issued as invoice
    numbers are: in the same transaction as the refund it numbers."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "pmc-credit-note-sequence")


class Refund(Aggregate):
    """A cancelled reservation's refund (BI-4): one per reservation, its id
    drawn from the reservation's, so a redelivered cancellation finds it."""

    @staticmethod
    def create_id(reservation_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-refund:{reservation_id}")

    class Issued(Aggregate.Created):
        """Refunded by the provider and credited: carries what `RefundIssued`
        publishes; the credit note (which names the buyer and the candidate)
        is sealed with its checkout's key, as the invoice is."""

        reservation_id: str
        checkout_id: UUID
        school_id: str
        method: str
        amount_cents: int
        provider_refund_id: str
        credit_note_number: int
        invoice_number: int
        refunded_at: datetime
        credit_note_sealed: str

    @event(Issued)
    def __init__(
        self,
        reservation_id: str,
        checkout_id: UUID,
        school_id: str,
        method: str,
        amount_cents: int,
        provider_refund_id: str,
        credit_note_number: int,
        invoice_number: int,
        refunded_at: datetime,
        credit_note_sealed: str,
    ) -> None:
        self.reservation_id = reservation_id
        self.checkout_id = checkout_id
        self.school_id = school_id
        self.method = method
        self.amount_cents = amount_cents
        self.provider_refund_id = provider_refund_id
        self.credit_note_number = credit_note_number
        self.invoice_number = invoice_number
        self.refunded_at = refunded_at
        self.credit_note_sealed = credit_note_sealed

    # Set when the debit it would give back came back from the bank before
    # the refund went into a transfer file: it is never transferred (BI-4).
    withheld_at: datetime | None = None

    class Withheld(Aggregate.Event):
        """A SEPA refund that will never be transferred: the bank returned
        the debit it gives back (its reason as the return file gave it).
        Carries what `RefundWithheld` publishes, as `Issued` does."""

        reservation_id: str
        checkout_id: UUID
        school_id: str
        amount_cents: int
        credit_note_number: int
        invoice_number: int
        refunded_at: datetime
        credit_note_sealed: str
        reason_code: str
        reason: str
        withheld_at: datetime

    def withhold(self, reason_code: str, reason: str, at: datetime) -> bool:
        """Withheld once (True); False when it already was."""
        if self.withheld_at is not None:
            return False
        self._withheld(
            reservation_id=self.reservation_id,
            checkout_id=self.checkout_id,
            school_id=self.school_id,
            amount_cents=self.amount_cents,
            credit_note_number=self.credit_note_number,
            invoice_number=self.invoice_number,
            refunded_at=self.refunded_at,
            credit_note_sealed=self.credit_note_sealed,
            reason_code=reason_code,
            reason=reason,
            withheld_at=at,
        )
        return True

    @event(Withheld)
    def _withheld(
        self,
        reservation_id: str,
        checkout_id: UUID,
        school_id: str,
        amount_cents: int,
        credit_note_number: int,
        invoice_number: int,
        refunded_at: datetime,
        credit_note_sealed: str,
        reason_code: str,
        reason: str,
        withheld_at: datetime,
    ) -> None:
        self.withheld_at = withheld_at


class LinePayment(Aggregate):
    """Which checkout pays a cart line: one at a time, so the same seats are
    never charged twice under two keys (two tabs, a stale cart) (BI-2)."""

    @staticmethod
    def create_id(reservation_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-line-payment:{reservation_id}")

    class Claimed(Aggregate.Created):
        reservation_id: str
        checkout_id: UUID

    @event(Claimed)
    def __init__(self, reservation_id: str, checkout_id: UUID) -> None:
        self.reservation_id = reservation_id
        self.checkout_id: UUID | None = checkout_id

    class Reclaimed(Aggregate.Event):
        checkout_id: UUID

    def claim(self, checkout_id: UUID) -> None:
        if self.checkout_id is not None and self.checkout_id != checkout_id:
            raise CheckoutError(ALREADY_PAID)
        self._reclaimed(checkout_id=checkout_id)

    @event(Reclaimed)
    def _reclaimed(self, checkout_id: UUID) -> None:
        self.checkout_id = checkout_id

    class Freed(Aggregate.Event):
        checkout_id: UUID

    def free(self, checkout_id: UUID) -> None:
        if self.checkout_id == checkout_id:
            self._freed(checkout_id=checkout_id)

    @event(Freed)
    def _freed(self, checkout_id: UUID) -> None:
        self.checkout_id = None
