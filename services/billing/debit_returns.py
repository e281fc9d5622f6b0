"""Returned SEPA debits (BI-1): the bank's return file applied to payments,
and the schools limited to card payments after a return.

Each returned debit is matched to our payment by the end-to-end id the
pain.008 carried (the invoice number without its dash, services/billing/sepa.py)
and, when the file gives them, checked against the payment's mandate reference
and amount: a line that names another payment's mandate or another amount is
reported, never applied. A payment records its return once (`Checkout`'s
status): the same file, or the same return in another file, applies nothing
twice. The return and the school's restriction are saved in one transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.billing.credit_notes import credit_note_number
from services.billing.domain import CAPTURED, SEPA, UNPAID, Checkout, Refund
from services.billing.invoices import invoice_number
from services.billing.returns import ReturnedDebit, parse
from services.billing.standing import SepaStanding
from services.billing.transfers import RefundTransfer
from services.common import contracts
from services.common.store import Publication

END_TO_END_ID = re.compile(r"^F(\d{4})(\d{6,9})$")
APPLY_ATTEMPTS = 5

# The outcomes of a returned debit, as the import reports them.
APPLIED = "appliqué"
ALREADY = "déjà enregistré"
UNKNOWN = "référence inconnue"
MISMATCH = "ne correspond pas au paiement"


def _returned(e: Checkout.DebitReturned, app: Any) -> dict[str, Any]:
    """The integration event, from the stored event alone: the school's
    address and its candidates' names come from the sealed invoice."""
    opened = app.vault.unseal(e.originator_id, e.invoice_sealed) or {}
    invoice = opened.get("invoice") or {}
    named = invoice.get("lines") or [{} for _ in e.lines]
    return {
        "checkout_id": e.originator_id,
        "school_id": e.school_id,
        "reservation_ids": [UUID(r) for r in e.reservation_ids],
        "amount_cents": e.amount_cents,
        "invoice_number": invoice.get("number") or str(e.invoice_number),
        "reason_code": e.reason_code,
        "reason": e.reason,
        "returned_at": e.returned_at,
        "school_email": opened.get("school_email"),
        "candidates": [
            {
                "reservation_id": line.get("id"),
                "candidate_name": person.get("candidate_name"),
                "neph": person.get("neph"),
                "centre_name": line.get("centre_name"),
                "exam_starts_at": line.get("exam_starts_at"),
            }
            for line, person in zip(e.lines, named, strict=False)
        ],
    }


def _refund_withheld(e: Refund.Withheld, app: Any) -> dict[str, Any]:
    """`RefundWithheld` from the stored event alone; the school's address
    and the candidate's name opened from the credit note, as `RefundIssued`'s."""
    opened = app.vault.unseal(e.checkout_id, e.credit_note_sealed) or {}
    note = opened.get("credit_note") or {}
    line = (note.get("lines") or [{}])[0]
    return {
        "refund_id": e.originator_id,
        "reservation_id": UUID(e.reservation_id),
        "checkout_id": e.checkout_id,
        "school_id": e.school_id,
        "amount_cents": e.amount_cents,
        "credit_note_number": note.get("number")
        or credit_note_number(e.credit_note_number, e.refunded_at),
        "invoice_number": note.get("invoice_number")
        or invoice_number(e.invoice_number, e.refunded_at),
        "reason_code": e.reason_code,
        "reason": e.reason,
        "withheld_at": e.withheld_at,
        "school_email": opened.get("school_email"),
        "candidate_name": line.get("candidate_name"),
    }


PUBLISHED = {
    Checkout.DebitReturned: Publication(contracts.DebitReturned, _returned),
    Refund.Withheld: Publication(contracts.RefundWithheld, _refund_withheld),
}


class DebitReturns:
    """Part of BillingApplication: applies the bank's returns."""

    def import_returns(self, content: bytes) -> dict[str, Any]:
        """Apply a camt.054 or pain.002 file; ReturnFileRefused (nothing
        applied) when it is not one or is malformed. A report, line by line."""
        returns = parse(content)
        lines = []
        for debit in returns.returned:
            outcome, detail = self._apply(debit)
            lines.append(
                {
                    "position": debit.position,
                    "end_to_end_id": debit.end_to_end_id,
                    "reason_code": debit.reason_code,
                    "reason": debit.reason,
                    "outcome": outcome,
                    "detail": detail,
                }
            )
        return {"kind": returns.kind, "ignored": returns.ignored, "lines": lines}

    def _apply(self, debit: ReturnedDebit) -> tuple[str, str]:
        for _ in range(APPLY_ATTEMPTS):
            checkout = self._returned_checkout(debit.end_to_end_id)
            if checkout is None:
                return UNKNOWN, "aucun prélèvement de la plateforme ne porte ce numéro"
            refused = _mismatch(checkout, debit)
            if refused:
                return MISMATCH, refused
            if checkout.status == UNPAID:
                return ALREADY, checkout.reason
            standing = self._standing(checkout.school_id)
            now = self.clock.now()
            checkout.debit_returned(debit.reason_code, debit.reason, now)
            standing.note_return(checkout.id, debit.reason_code)
            withheld = self._withheld_refunds(checkout, debit, now)
            try:
                self.save(checkout, standing, *withheld)
            except IntegrityError:
                continue  # another import wrote it meanwhile: look again
            return APPLIED, checkout.reason + self._paid_back_already(checkout)
        return MISMATCH, "paiement modifié pendant l'import : importez à nouveau"

    def _withheld_refunds(
        self, checkout: Checkout, debit: ReturnedDebit, at: datetime
    ) -> list[Refund]:
        """The payment's refunds not yet in a transfer file, each withheld
        (saved with the return: a file written meanwhile fails its version
        check on the checkout, and this looks again). The school is told
        (`RefundWithheld`) that no transfer will be made."""
        withheld = []
        for reservation_id in checkout.reservation_ids:
            refund_id = Refund.create_id(reservation_id)
            if self._in_a_file(refund_id):
                continue  # paid back already: the back office claims it
            try:
                refund = self.repository.get(refund_id)
            except AggregateNotFoundError:
                continue  # not cancelled, or its refund not recorded yet
            if refund.withhold(debit.reason_code, debit.reason, at):
                withheld.append(refund)
        return withheld

    def _in_a_file(self, refund_id: UUID) -> bool:
        try:
            self.repository.get(RefundTransfer.create_id(refund_id))
        except AggregateNotFoundError:
            return False
        return True

    def _paid_back_already(self, checkout: Checkout) -> str:
        """What of this payment was already transferred back to the school
        (a cancelled seat's refund in an earlier transfer file): the back
        office claims it with the unpaid debit. Refunds not yet in a file
        are withheld from them instead (transfers.py)."""
        notes = []
        for reservation_id in checkout.reservation_ids:
            refund_id = Refund.create_id(reservation_id)
            if not self._in_a_file(refund_id):
                continue
            refund = self.repository.get(refund_id)
            notes.append(
                credit_note_number(refund.credit_note_number, refund.refunded_at)
            )
        if not notes:
            return ""
        return f" ; déjà remboursé par virement (avoir {', '.join(notes)}) : à réclamer"

    def _returned_checkout(self, end_to_end_id: str) -> Checkout | None:
        """Our SEPA payment whose pain.008 line carried this end-to-end id."""
        match = END_TO_END_ID.match(end_to_end_id)
        if match is None:
            return None
        found = self.views["payment_list"].with_invoice(int(match.group(2)))
        if found is None:
            return None
        try:
            checkout = self.repository.get(found)
        except AggregateNotFoundError:
            return None
        if checkout.invoice_number is None or checkout.paid_at is None:
            return None
        ours = invoice_number(checkout.invoice_number, checkout.paid_at)
        return checkout if ours.replace("-", "") == end_to_end_id else None

    def _standing(self, school_id: str) -> SepaStanding:
        try:
            return self.repository.get(SepaStanding.create_id(school_id))
        except AggregateNotFoundError:
            return SepaStanding(school_id=school_id)

    def check_sepa_allowed(self, school_id: str) -> None:
        """CheckoutError when the school must pay by card (a return unsettled),
        unless PMC_SEPA_CARD_ONLY_AFTER_RETURN is off."""
        if not self.settings.sepa_card_only_after_return:
            return
        try:
            standing = self.repository.get(SepaStanding.create_id(school_id))
        except AggregateNotFoundError:
            return
        standing.check_sepa_allowed()

    def lift_sepa_restriction(self, school_id: str, note: str) -> list[str]:
        """Back office: the school settled its returns; SEPA is open again.
        The payments it lifted (none: nothing to lift, nothing written)."""
        try:
            standing = self.repository.get(SepaStanding.create_id(school_id))
        except AggregateNotFoundError:
            return []
        lifted = standing.lift(self.clock.now(), note)
        if lifted:
            self.save(standing)
        return lifted


def _mismatch(checkout: Checkout, debit: ReturnedDebit) -> str:
    """Why this line cannot be this payment's return ("" when it can)."""
    if checkout.method != SEPA:
        return "ce paiement n'est pas un prélèvement SEPA"
    reference = (checkout.mandate or {}).get("reference")
    if debit.mandate_reference is not None and debit.mandate_reference != reference:
        return "la référence de mandat est celle d'un autre paiement"
    if debit.amount_cents is not None and debit.amount_cents != checkout.amount_cents:
        return "le montant retourné diffère du montant prélevé"
    if checkout.status not in (CAPTURED, UNPAID):
        return f"ce paiement est « {checkout.status} »"
    return ""
