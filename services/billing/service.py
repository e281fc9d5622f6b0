"""The billing nameko service: checkouts by card (BI-1, BI-2)."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy

from services.billing.application import BillingApplication
from services.billing.domain import CheckoutError
from services.billing.provider import ProviderError
from services.common.dependencies import ApplicationProvider
from services.common.rpc import as_platform_errors, rpc

ERRORS = {
    CheckoutError: (409, "paiement_impossible"),
    ProviderError: (503, "paiement_indisponible"),
}


class BillingService:
    """Payments of the schools' carts."""

    name = "billing"
    app: BillingApplication = ApplicationProvider(BillingApplication)
    booking = RpcProxy("booking")

    @rpc
    @as_platform_errors(ERRORS)
    def pay_by_card(
        self, school_id: str, idempotency_key: str, card_number: str
    ) -> dict[str, Any]:
        """Pay the whole cart by card, once per idempotency key."""
        cart = [line["id"] for line in self.booking.cart(school_id)]
        return self.app.pay_by_card(school_id, idempotency_key, cart, card_number)

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"
