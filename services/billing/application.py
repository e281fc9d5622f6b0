"""Billing: card checkouts charged once, invoices numbered without gaps (BI-1…BI-5)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.billing.credit_notes import PUBLISHED as REFUNDS_PUBLISHED
from services.billing.credit_notes import Refunds
from services.billing.debit_returns import PUBLISHED as RETURNS_PUBLISHED
from services.billing.debit_returns import DebitReturns
from services.billing.domain import (
    ABANDONED,
    ALREADY_PAID,
    CARD,
    SEPA,
    STARTED,
    Checkout,
    CheckoutError,
    InvoiceSequence,
    LinePayment,
)
from services.billing.invoices import PARIS, as_issued, invoice, invoice_number
from services.billing.provider import (
    CardProvider,
    ProviderError,
    SimulatedCardProvider,
)
from services.billing.reconciliation import Reconciliation
from services.billing.sealed import (
    SealedDataLost,
    open_checkout,
    opened_capture,
    seal_checkout,
    seal_invoice,
)
from services.billing.sepa import SEPA_COLLECTION_DAYS as COLLECTION_DAYS
from services.billing.sepa import check_bank_details, debit, pain008
from services.billing.simulator import PostgresLedger
from services.billing.transfers import Transfers
from services.common import contracts, inputs
from services.common.idempotency import IdempotencyConflict, fingerprint
from services.common.invoice_pdf import render_invoice
from services.common.metrics import PAYMENTS
from services.common.settings import SIMULATOR
from services.common.store import (
    Publication,
    ServiceApplication,
    retry_on_conflict,
)

NUMBER_ATTEMPTS = 100
# A line expiring sooner than this is not charged: its confirmation, a
# moment after the capture, would come too late (see booking's
# `refund_unheld` for when it does all the same).
LAST_PAYABLE_MOMENT = timedelta(minutes=1)
EXPIRES_NOW = (
    "Certaines places du panier expirent dans moins d'une minute : rien n'a "
    "été débité. Réservez-les à nouveau une fois expirées."
)

log = logging.getLogger(__name__)


class InvoiceNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Cette facture est introuvable.")


class EmptyCart(CheckoutError):
    def __init__(self) -> None:
        super().__init__("Votre panier est vide.")


def _captured(e: Checkout.Captured, app: Any) -> dict[str, Any]:
    return {
        "checkout_id": e.originator_id,
        "school_id": e.school_id,
        "reservation_ids": [UUID(r) for r in e.reservation_ids],
        "amount_cents": e.amount_cents,
        "invoice_number": e.invoice_number,
        "captured_at": e.captured_at,
        "method": getattr(e, "method", None),
        # Opened here, sealed again for the bus with the school's key.
        **opened_capture(app.vault, e),
    }


class BillingApplication(
    Refunds, Transfers, DebitReturns, Reconciliation, ServiceApplication
):
    """Checkouts and invoices."""

    name: ClassVar[str] = "billing"
    published: ClassVar = {
        Checkout.Captured: Publication(contracts.PaymentCaptured, _captured),
        **RETURNS_PUBLISHED,
        **REFUNDS_PUBLISHED,
    }
    # A capture's invoice is sealed with its checkout's key (the relay reads
    # the keys of a batch at once).
    publishes_sealed: ClassVar = True

    def __init__(
        self, *args: Any, provider: CardProvider | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider or self._configured_provider()

    def _configured_provider(self) -> CardProvider:
        """The provider PMC_CARD_PROVIDER names (settings refuse the others,
        and the simulator outside development)."""
        if self.settings.card_provider != SIMULATOR:
            raise ProviderError(f"no such card provider: {self.settings.card_provider}")
        # The provider's test mode; its ledger outlives billing's processes.
        ledger = (
            PostgresLedger(self.settings, self.datastore)
            if self.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"
            else None
        )
        return SimulatedCardProvider(ledger)

    def pay_by_card(
        self,
        school_id: str,
        idempotency_key: str,
        lines: list[dict[str, Any]],
        card_token: str,
        buyer: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Charge the card behind the provider's token, for the cart, once
        whatever the retries (BI-2). The card number never comes here.

        A retry with the same key returns the first outcome; one that finds the
        checkout half done (a crash, a provider outage) finishes it: the
        provider answers the same authorisation and capture for the same keys.
        When the provider fails, the checkout stays « en cours » and the answer
        says so; the reconciler settles it with the provider (`reconcile`).
        """
        checked = inputs.require(
            {
                "cle": (inputs.IDEMPOTENCY_KEY, idempotency_key),
                "jeton": (inputs.CARD_TOKEN, card_token),
            }
        )
        idempotency_key, card_token = checked["cle"], checked["jeton"]
        asked = {"method": CARD, "card": card_token}
        checkout, new = self._start(
            school_id, idempotency_key, lines, CARD, buyer or {}, asked
        )
        if checkout.status != STARTED:
            return self.view(checkout)
        if not new:
            checkout = self._retrying(checkout)
            if checkout.status != STARTED:
                return self.view(checkout)
        keys = f"{checkout.id}"
        try:
            authorisation = self.provider.authorise(
                checkout.amount_cents, card_token, f"{keys}:authorise"
            )
            if not authorisation.approved:
                return self.view(self._decline(checkout, authorisation.decline_reason))
            capture = self.provider.capture(authorisation.id, f"{keys}:capture")
        except ProviderError as error:
            log.warning("provider failed for checkout %s: %s", checkout.id, error)
            PAYMENTS.labels(CARD, "provider_failed").inc()
            return self.view(checkout)  # « en cours »: the reconciler settles it
        return self.view(self._record_capture(checkout.id, capture.id))

    def _retrying(self, checkout: Checkout) -> Checkout:
        """Note the new attempt first: a reconciler deciding meanwhile that the
        checkout was never charged meets a version check instead of a charge."""
        try:
            checkout.retry(self.clock.now())
            self.save(checkout)
        except IntegrityError:  # reconciled or retried a moment earlier
            return self.repository.get(checkout.id)
        return checkout

    def _decline(self, checkout: Checkout, reason: str) -> Checkout:
        checkout.decline(reason)
        try:
            # Declined, the lines may be paid by another checkout.
            self.save(checkout, *self._free_lines(checkout))
        except IntegrityError:  # a concurrent retry recorded it first
            return self.repository.get(checkout.id)
        self._forget_lines(checkout)
        PAYMENTS.labels(checkout.method, "declined").inc()
        return checkout

    def _forget_lines(self, checkout: Checkout) -> None:
        """Ended unpaid: nobody needs who its lines were for any more (a
        paid one's invoice keeps them, under the same key)."""
        self.vault.forget(checkout.id)

    def pay_by_sepa(
        self,
        school_id: str,
        idempotency_key: str,
        lines: list[dict[str, Any]],
        bank: dict[str, str],
        buyer: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Pay by SEPA direct debit: a mandate signed today; the debit goes into
        the day's pain.008 file for the bank; the seats are the school's now."""
        idempotency_key = inputs.require(
            {"cle": (inputs.IDEMPOTENCY_KEY, idempotency_key)}
        )["cle"]
        self.check_sepa_allowed(school_id)  # card only after a returned debit
        details = check_bank_details(bank["iban"], bank["bic"], bank["holder"])
        checkout_id = Checkout.create_id(school_id, idempotency_key)
        mandate = {
            **details,
            "reference": f"PMC-{checkout_id.hex[:16].upper()}",
            "signed_on": self.clock.now().astimezone(PARIS).date().isoformat(),
        }
        asked = {"method": SEPA, **details}
        checkout, _new = self._start(
            school_id, idempotency_key, lines, SEPA, buyer or {}, asked, mandate
        )
        if checkout.status != STARTED:
            return self.view(checkout)
        return self.view(self._record_capture(checkout.id, mandate["reference"]))

    def sepa_file(self, day: date) -> bytes:
        """pain.008 of the SEPA payments made on `day` (Paris time), for the bank."""
        debits = []
        for row in self.views["payment_list"].sepa_paid_on(day):
            checkout = self.repository.get(UUID(row["id"]))
            mandate = open_checkout(self.vault, checkout).mandate or {}
            number = invoice_number(checkout.invoice_number, checkout.paid_at)
            debits.append(debit(mandate, checkout.amount_cents, number))
        if not debits:
            raise CheckoutError(f"Aucun prélèvement SEPA le {day:%d/%m/%Y}.")
        today = self.clock.now().astimezone(PARIS).date()
        return pain008(debits, max(day, today) + timedelta(days=COLLECTION_DAYS))

    def _start(
        self,
        school_id: str,
        idempotency_key: str,
        lines: list[dict[str, Any]],
        method: str,
        buyer: dict[str, Any],
        asked: dict[str, Any],
        mandate: dict[str, Any] | None = None,
    ) -> tuple[Checkout, bool]:
        """The checkout of this key, and whether this request started it."""
        checkout_id = Checkout.create_id(school_id, idempotency_key)
        digest = fingerprint(self.settings.secret_key.get_secret_value(), asked)
        try:
            existing = self.repository.get(checkout_id)
        except AggregateNotFoundError:
            existing = None
        if existing is not None:
            return self._same_request(existing, method, digest), False
        if not lines:
            raise EmptyCart()
        now = self.clock.now()
        expiry = [
            datetime.fromisoformat(line["expires_at"])
            for line in lines
            if line.get("expires_at")
        ]
        if any(at <= now for at in expiry):
            raise CheckoutError(
                "Certaines places du panier ont expiré : réservez-les à nouveau."
            )
        # Charged now, confirmed by booking a moment later: a line that could
        # expire in between would be paid for nothing (then refunded).
        if any(at <= now + LAST_PAYABLE_MOMENT for at in expiry):
            raise CheckoutError(EXPIRES_NOW)
        price = self.settings.seat_price_cents
        kept = ("id", "candidate_name", "neph", "exam_starts_at", "centre_name")
        sealed = seal_checkout(
            self.vault,
            school_id,
            checkout_id,
            buyer,
            [{k: line.get(k) for k in kept} for line in lines],
            mandate,
        )
        checkout = Checkout(
            school_id=school_id,
            idempotency_key=idempotency_key,
            method=method,
            reservation_ids=sorted(line["id"] for line in lines),
            unit_price_cents=price,
            amount_cents=price * len(lines),
            vat_rate_percent=self.settings.vat_rate_percent,
            buyer=sealed.buyer,
            lines=sealed.lines,
            mandate=sealed.mandate,
            started_at=now,
            fingerprint=digest,
            school_sealed=sealed.school_sealed,
            lines_sealed=sealed.lines_sealed,
        )
        claims = [self._claim(line["id"], checkout.id) for line in lines]
        try:
            self.save(checkout, *claims)
        except IntegrityError:
            try:
                earlier = self.repository.get(checkout_id)  # same key, just before
            except AggregateNotFoundError:
                raise CheckoutError(ALREADY_PAID) from None  # another key took a line
            return self._same_request(earlier, method, digest), False
        return checkout, True

    @staticmethod
    def _same_request(checkout: Checkout, method: str, digest: str) -> Checkout:
        if checkout.method != method:
            raise CheckoutError(
                "Ce paiement a été commencé avec un autre moyen de paiement."
            )
        if checkout.fingerprint and checkout.fingerprint != digest:
            raise IdempotencyConflict()
        return checkout

    def _claim(self, reservation_id: str, checkout_id: UUID) -> LinePayment:
        try:
            claim = self.repository.get(LinePayment.create_id(reservation_id))
        except AggregateNotFoundError:
            return LinePayment(reservation_id=reservation_id, checkout_id=checkout_id)
        claim.claim(checkout_id)
        return claim

    def _free_lines(self, checkout: Checkout) -> list[LinePayment]:
        claims = []
        for reservation_id in checkout.reservation_ids:
            claim = self.repository.get(LinePayment.create_id(reservation_id))
            claim.free(checkout.id)
            claims.append(claim)
        return claims

    def _record_capture(self, checkout_id: UUID, capture_id: str) -> Checkout:
        """Issue the next invoice number in the same transaction as the capture."""

        def attempt() -> Checkout:
            checkout = self.repository.get(checkout_id)
            if checkout.status == ABANDONED and checkout.method == CARD:
                self._give_back(checkout, capture_id)
            if checkout.status != STARTED:
                return checkout  # a concurrent retry recorded it
            try:
                sequence = self.repository.get(InvoiceSequence.create_id())
            except AggregateNotFoundError:
                sequence = InvoiceSequence()
            number = sequence.issue(checkout.id)
            now = self.clock.now()
            issued = invoice(
                checkout,
                open_checkout(self.vault, checkout),
                number,
                now,
                self.settings.company,
            )
            sealed = seal_invoice(self.vault, checkout.id, issued)
            checkout.capture(capture_id, number, now, invoice_sealed=sealed)
            # Another checkout took this number first: the retry takes the next.
            self.save(checkout, sequence)
            PAYMENTS.labels(checkout.method, "paid").inc()
            return checkout

        return retry_on_conflict(
            attempt,
            NUMBER_ATTEMPTS,
            CheckoutError("Paiement enregistré plus tard : réessayez dans un instant."),
        )

    def payments(self, school_id: str) -> list[dict[str, Any]]:
        return self.views["payment_list"].for_school(school_id)

    def invoice_pdf(self, school_id: str, checkout_id: UUID) -> bytes:
        """The invoice of one of the school's paid checkouts, as PDF (BI-3)."""
        try:
            checkout = self.repository.get(checkout_id)
        except AggregateNotFoundError:
            raise InvoiceNotFound() from None
        if (
            not isinstance(checkout, Checkout)
            or checkout.school_id != school_id
            or checkout.invoice_number is None
        ):
            raise InvoiceNotFound()
        try:
            issued = as_issued(self.vault, checkout, self.settings.company)
        except SealedDataLost:
            raise InvoiceNotFound() from None
        return render_invoice(issued)

    def checkout(self, school_id: str, idempotency_key: str) -> dict[str, Any]:
        try:
            checkout = self.repository.get(
                Checkout.create_id(school_id, idempotency_key)
            )
        except AggregateNotFoundError:
            raise CheckoutError("Paiement introuvable.") from None
        return self.view(checkout)

    @staticmethod
    def view(checkout: Checkout) -> dict[str, Any]:
        return {
            "id": str(checkout.id),
            "status": checkout.status,
            "reason": checkout.reason,
            "amount_cents": checkout.amount_cents,
            "reservation_ids": checkout.reservation_ids,
            "invoice_number": checkout.invoice_number,
        }
