"""The billing nameko service: checkouts by card (BI-1, BI-2)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from nameko.timer import timer

from services.billing.application import BillingApplication, InvoiceNotFound
from services.billing.domain import CheckoutError
from services.billing.projections import READ_MODELS
from services.billing.provider import ProviderError
from services.billing.sepa import InvalidBankDetails
from services.common.dependencies import ApplicationProvider, service_health
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import rpc

ERRORS = {
    CheckoutError: (409, "paiement_impossible"),
    ProviderError: (503, "paiement_indisponible"),
    InvoiceNotFound: (404, "facture_introuvable"),
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

    @rpc
    def pay_by_card(
        self,
        school_id: str,
        idempotency_key: str,
        lines: list[dict[str, Any]],
        card_token: str,
        buyer: dict[str, Any],
    ) -> dict[str, Any]:
        """Pay the cart's lines with the provider's card token, once per key."""
        return self.app.pay_by_card(
            school_id, idempotency_key, lines, card_token, buyer
        )

    @rpc
    def pay_by_sepa(
        self,
        school_id: str,
        idempotency_key: str,
        lines: list[dict[str, Any]],
        bank: dict[str, str],
        buyer: dict[str, Any],
    ) -> dict[str, Any]:
        """Pay the cart's lines by SEPA direct debit under a mandate signed now."""
        return self.app.pay_by_sepa(school_id, idempotency_key, lines, bank, buyer)

    @rpc
    def payments(self, school_id: str) -> list[dict[str, Any]]:
        """The school's payments, newest first."""
        return self.app.payments(school_id)

    @rpc
    def invoice_pdf(self, school_id: str, checkout_id: str) -> str:
        """An invoice as PDF, base64-encoded for the RPC."""
        return base64.b64encode(
            self.app.invoice_pdf(school_id, UUID(checkout_id))
        ).decode()

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
