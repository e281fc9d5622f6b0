"""Refunds of SEPA-paid reservations by credit transfer (BI-4): the day's
transfers as one pain.001 file for the bank (`pmc sepa-transfers DAY`).

A refund of a SEPA payment is recorded, with its credit note, when the
cancellation arrives (credit_notes.py); the money goes back later, in a
transfer file:
- a refund is due once the debit it gives back was collected and its return
  period is over (sepa.REFUND_AFTER_DAYS after the payment), and never when the
  bank returned that debit: money never received is never paid back (such a
  refund is withheld, reported, and left for the back office);
- the file of DAY holds every refund due by DAY not already in a file. It is
  recorded (`TransferFile`, its id drawn from the day) in the same
  transaction as one `RefundTransfer` per refund (its id drawn from the
  refund's): a refund goes in one file only, and asking for DAY again renders
  the recorded file again, byte for byte, never a second copy of its
  transfers. A refund falling due after DAY's file was written waits for the
  next day's. Each payment given back notes it (`Checkout.RefundFiled`) in
  that same transaction: a return of its debit and a file cannot cross
  unseen (the later of the two saves fails its version check and looks
  again).
The account holder and IBAN stay sealed in the checkout (sealed.py): they are
opened to render the file, never copied into these events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.billing.credit_notes import credit_note_number
from services.billing.domain import UNPAID, Checkout, CheckoutError, Refund
from services.billing.invoices import PARIS, invoice_number
from services.billing.sealed import SealedDataLost, open_checkout
from services.billing.sepa import pain001, refund_due_on, transfer

WRITE_ATTEMPTS = 5


class TransferFile(Aggregate):
    """The refunds put in one day's transfer file, as first written."""

    @staticmethod
    def create_id(day: date | str) -> UUID:
        """By day: a `date`, or its ISO form as the created event holds it."""
        return uuid5(NAMESPACE_URL, f"pmc-sepa-transfer-file:{day}")

    class Written(Aggregate.Created):
        day: str
        refund_ids: list[str]
        message_id: str
        written_at: datetime
        execution_date: str

    @event(Written)
    def __init__(
        self,
        day: str,
        refund_ids: list[str],
        message_id: str,
        written_at: datetime,
        execution_date: str,
    ) -> None:
        self.day = day
        self.refund_ids = list(refund_ids)
        self.message_id = message_id
        self.written_at = written_at
        self.execution_date = execution_date


class RefundTransfer(Aggregate):
    """A refund put in a transfer file: one per refund, so never in two."""

    @staticmethod
    def create_id(refund_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-refund-transfer:{refund_id}")

    class Filed(Aggregate.Created):
        refund_id: UUID
        file_day: str

    @event(Filed)
    def __init__(self, refund_id: UUID, file_day: str) -> None:
        self.refund_id = refund_id
        self.file_day = file_day


class NothingToTransfer(CheckoutError):
    """No refund is due by that day; `withheld` says which were held back."""

    def __init__(self, day: date, withheld: list[tuple[str, str]]) -> None:
        self.withheld = withheld
        super().__init__(f"Aucun remboursement SEPA à virer au {day:%d/%m/%Y}.")


@dataclass(frozen=True)
class TransferReport:
    """The file for the bank, and the refunds held back from it (their
    credit note numbers, and why)."""

    xml: bytes
    transfers: int
    withheld: list[tuple[str, str]] = field(default_factory=list)


def due_on(checkout: Checkout, refund: Refund) -> date:
    """The first day the refund may be paid back (Paris time)."""
    assert checkout.paid_at is not None  # refunded: it was paid
    return refund_due_on(checkout.paid_at, refund.refunded_at)


class Transfers:
    """Part of BillingApplication: the refunds' transfer files."""

    def sepa_transfers(self, day: date) -> TransferReport:
        """DAY's transfer file: the recorded one, or written now with the
        refunds due by DAY. CheckoutError when DAY is to come or none is due."""
        today = self.clock.now().astimezone(PARIS).date()
        if day > today:
            raise CheckoutError(
                f"Le {day:%d/%m/%Y} est à venir : les remboursements de ce jour "
                "ne sont pas encore dus."
            )
        for _ in range(WRITE_ATTEMPTS):
            written = self._transfer_file(day)
            if written is not None:
                return TransferReport(self._render(written), len(written.refund_ids))
            due, noted, withheld, late = self._due(day)
            if late:
                try:
                    self.save(*late)
                except IntegrityError:
                    continue  # another run withheld them first: look again
            if not due:
                raise NothingToTransfer(day, withheld)
            now = self.clock.now()
            file = TransferFile(
                day=day.isoformat(),
                refund_ids=[str(r) for r in due],
                message_id=f"PMC-VIR-{day:%Y%m%d}",
                written_at=now,
                execution_date=max(day, now.astimezone(PARIS).date()).isoformat(),
            )
            filed = [RefundTransfer(refund_id=r, file_day=file.day) for r in due]
            try:
                self.save(file, *filed, *noted)
            except IntegrityError:
                # Another run wrote this day's file or filed one of these
                # refunds, or a debit came back meanwhile: look again.
                continue
            return TransferReport(self._render(file), len(due), withheld)
        raise CheckoutError("Fichier de virements écrit ailleurs : réessayez.")

    def _transfer_file(self, day: date) -> TransferFile | None:
        try:
            return self.repository.get(TransferFile.create_id(day))
        except AggregateNotFoundError:
            return None

    def _due(
        self, day: date
    ) -> tuple[list[UUID], list[Checkout], list[tuple[str, str]], list[Refund]]:
        """The refunds to pay back in DAY's file, the payments they give back
        (each noting it: saved with the file, a return of its debit saved
        since it was read here fails the file's save), those withheld, and
        those withheld only now: recorded after their debit's return (a
        cancellation crossing the return), the return could not withhold
        them, nor tell the school (debit_returns.py)."""
        due: list[UUID] = []
        noted: dict[UUID, Checkout] = {}
        withheld: list[tuple[str, str]] = []
        late: list[Refund] = []
        for refund_id in self.views["sepa_refunds"].unfiled(day):
            if self._filed(refund_id):
                continue  # its file is written; the read model is behind
            refund = self.repository.get(refund_id)
            checkout = noted.get(refund.checkout_id) or self.repository.get(
                refund.checkout_id
            )
            note = credit_note_number(refund.credit_note_number, refund.refunded_at)
            if checkout.status == UNPAID:
                withheld.append((note, f"prélèvement impayé ({checkout.reason})"))
                code, reason = checkout.returned_as or ("MS03", checkout.reason)
                if refund.withhold(code, reason, self.clock.now()):
                    late.append(refund)
            elif due_on(checkout, refund) <= day:
                try:
                    open_checkout(self.vault, checkout)
                except SealedDataLost:
                    withheld.append((note, "coordonnées bancaires effacées"))
                    continue
                checkout.refund_filed(refund_id)
                noted[checkout.id] = checkout
                due.append(refund_id)
        return due, list(noted.values()), withheld, late

    def _filed(self, refund_id: UUID) -> bool:
        try:
            self.repository.get(RefundTransfer.create_id(refund_id))
        except AggregateNotFoundError:
            return False
        return True

    def _render(self, file: TransferFile) -> bytes:
        transfers = [self._transfer(UUID(r)) for r in file.refund_ids]
        return pain001(
            transfers,
            file.message_id,
            file.written_at.astimezone(PARIS),
            date.fromisoformat(file.execution_date),
        )

    def _transfer(self, refund_id: UUID) -> dict[str, Any]:
        refund = self.repository.get(refund_id)
        checkout = self.repository.get(refund.checkout_id)
        try:
            mandate = open_checkout(self.vault, checkout).mandate or {}
        except SealedDataLost:
            raise CheckoutError(
                "Les coordonnées bancaires d'un remboursement de ce fichier ont "
                "été effacées : il ne peut plus être produit."
            ) from None
        return transfer(
            mandate,
            refund.amount_cents,
            credit_note_number(refund.credit_note_number, refund.refunded_at),
            invoice_number(refund.invoice_number, checkout.paid_at),
        )
