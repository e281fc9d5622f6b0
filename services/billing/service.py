"""The billing nameko service: checkouts by card (BI-1, BI-2)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from nameko.timer import timer

from services.billing.application import BillingApplication, InvoiceNotFound
from services.billing.credit_notes import CreditNoteNotFound
from services.billing.domain import CheckoutError
from services.billing.projections import READ_MODELS
from services.billing.provider import ProviderError
from services.billing.sepa import InvalidBankDetails
from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import RpcProxy, answer_in_time, rpc, school_rpc

ERRORS = {
    CheckoutError: (409, "paiement_impossible"),
    ProviderError: (503, "paiement_indisponible"),
    InvoiceNotFound: (404, "facture_introuvable"),
    CreditNoteNotFound: (404, "avoir_introuvable"),
    InvalidBankDetails: (400, "coordonnees_bancaires_invalides"),
    IdempotencyConflict: (422, "cle_deja_utilisee"),
}

# How often checkouts left pending are looked for; each is settled once it has
# been pending for PMC_PAYMENT_RECONCILE_SECONDS (injected clock).
RECONCILE_SWEEP_SECONDS = 5


class BillingService:
    """Payments of the schools' carts."""

    name = "billing"
    errors = ERRORS
    app: BillingApplication = ApplicationProvider(
        BillingApplication, read_models=READ_MODELS
    )
    booking = RpcProxy("booking")
    identity = RpcProxy("identity")

    @school_rpc
    def pay_by_card(
        self, school_id: str, idempotency_key: str, card_token: str
    ) -> dict[str, Any]:
        """Pay the school's cart with the provider's card token, once per key."""
        lines, buyer = self._cart_and_buyer()
        return self.app.pay_by_card(
            school_id, idempotency_key, lines, card_token, buyer
        )

    @school_rpc
    def pay_by_sepa(
        self, school_id: str, idempotency_key: str, bank: dict[str, str]
    ) -> dict[str, Any]:
        """Pay the school's cart by SEPA direct debit under a mandate signed now."""
        lines, buyer = self._cart_and_buyer()
        return self.app.pay_by_sepa(school_id, idempotency_key, lines, bank, buyer)

    def _cart_and_buyer(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The cart as booking holds it now and the school as identity knows
        it, asked under the request's own acting-school context: no caller
        says what is paid for, nor for whom."""
        with answer_in_time():
            lines = self.booking.cart()
            profile = self.identity.profile()
        return lines, buyer_of(profile)

    @school_rpc
    def payments(self, school_id: str) -> list[dict[str, Any]]:
        """The school's payments, newest first."""
        return self.app.payments(school_id)

    @school_rpc
    def invoice_pdf(self, school_id: str, checkout_id: str) -> str:
        """An invoice as PDF, base64-encoded for the RPC."""
        return base64.b64encode(
            self.app.invoice_pdf(school_id, UUID(checkout_id))
        ).decode()

    @school_rpc
    def credit_note_pdf(self, school_id: str, reservation_id: str) -> str:
        """A refunded reservation's credit note as PDF, base64-encoded (BI-4)."""
        pdf = self.app.credit_note_pdf(school_id, UUID(reservation_id))
        return base64.b64encode(pdf).decode()

    @consume("booking", contracts.ReservationCancelled)
    def on_reservation_cancelled(self, event: Delivered) -> None:
        """A cancelled reservation is refunded once, with its credit note."""
        self.app.on_reservation_cancelled(event)

    @timer(interval=RECONCILE_SWEEP_SECONDS)
    def reconcile(self) -> None:
        """Settle card payments left « en cours » with the provider (BI-2)."""
        self.app.reconcile()

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)


def buyer_of(profile: dict[str, Any]) -> dict[str, Any]:
    """The school as its invoices name it (BI-3)."""
    return {
        "company_name": profile.get("company_name"),
        "siret": profile.get("siret"),
        "address": profile.get("address"),
        "email": profile.get("email"),
    }
