"""Checkout: paying for the cart, the payments and their invoices (BO-4, BI-1…BI-3)."""

from __future__ import annotations

import base64
import functools
import math
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas, texts
from gateway.api import endpoint
from gateway.http import download, json_response, parse_uuid
from gateway.idempotency import idempotency_key
from gateway.limits import PAYMENTS
from gateway.routes.booking import BOOKING
from services.common.errors import PlatformError
from services.common.settings import SIMULATOR, Settings

PENDING = (
    (
        202,
        "Le prestataire de paiement n'a pas répondu : paiement en cours de "
        "vérification, réglé automatiquement (payé ou abandonné sans débit)",
    ),
)


class CheckoutRoutes:
    """Paying for the cart, by card or SEPA, and what the school paid."""

    @endpoint(
        "POST",
        "/api/paiement/carte",
        summary="Payer le panier par carte (une seule fois par clé)",
        tag=BOOKING,
        body=schemas.CardPayment,
        response=schemas.Payment,
        status=201,
        idempotent=True,
        also=PENDING,
        limits=(PAYMENTS,),
    )
    def pay_by_card(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        # Billing reads the cart from booking and the buyer from identity
        # itself, for the school of this request's signed context.
        payment = self.billing.pay_by_card(
            idempotency_key(request, data["idempotency_key"]), data["card_token"]
        )
        return paid(payment)

    @endpoint(
        "GET",
        "/api/paiement/carte/prestataire",
        summary="Où la page obtient le jeton d'une carte (champs du prestataire)",
        tag=BOOKING,
        response=schemas.CardProvider,
    )
    def card_provider(self, request: Request, account: dict[str, Any]) -> dict:
        return card_provider_info(Settings.from_env())

    @endpoint(
        "POST",
        "/api/paiement/sepa",
        summary="Payer le panier par prélèvement SEPA (mandat signé ce jour)",
        tag=BOOKING,
        body=schemas.SepaPayment,
        response=schemas.Payment,
        status=201,
        idempotent=True,
        limits=(PAYMENTS,),
    )
    def pay_by_sepa(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        bank = {k: data[k] for k in ("iban", "bic", "holder")}
        payment = self.billing.pay_by_sepa(
            idempotency_key(request, data["idempotency_key"]), bank
        )
        return paid(payment)

    @endpoint(
        "GET",
        "/api/paiements",
        summary="Les paiements de l'auto-école",
        tag=BOOKING,
        response=schemas.PaymentList,
    )
    def payments(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.billing.payments()}

    @endpoint(
        "GET",
        "/api/paiements/<string:checkout_id>/facture",
        summary="Télécharger la facture d'un paiement (PDF)",
        tag=BOOKING,
    )
    def invoice(
        self, request: Request, checkout_id: str, account: dict[str, Any]
    ) -> Response:
        checkout_id = parse_uuid(checkout_id, "Facture")
        pdf = self.billing.invoice_pdf(checkout_id)
        return download(base64.b64decode(pdf), "application/pdf", "facture.pdf")


def paid(payment: dict[str, Any]) -> Any:
    """The answer to a payment: thanks; being verified (202); or why it was
    declined (402) or abandoned (409)."""
    if payment["status"] == "refusé":
        raise PlatformError(
            "paiement_refuse", texts.payment_declined(payment["reason"]), status=402
        )
    if payment["status"] == "abandonné":
        raise PlatformError("paiement_abandonne", texts.PAYMENT_ABANDONED, status=409)
    if payment["status"] == "en cours":
        message = texts.payment_pending(reconcile_minutes())
        body = schemas.Payment().dump({**payment, "message": message})
        return json_response(body, status=202)
    return {**payment, "message": texts.PAID}


@functools.cache
def reconcile_minutes() -> int:
    """Minutes within which a pending payment is settled, for the message."""
    seconds = Settings.from_env().payment_reconcile_seconds
    return math.ceil((seconds + 60) / 60)  # a sweep and the read model's lag


def card_provider_info(settings: Settings) -> dict[str, str]:
    """Where the page hands the card number to the provider for a token: the
    simulator's hosted fields (`pmc card-simulator`), in development only."""
    if settings.card_provider == SIMULATOR:
        return {
            "provider": SIMULATOR,
            "tokenisation_url": f"{settings.card_simulator_url}/jetons",
        }
    # Settings refuse any other provider: none is integrated yet.
    raise PlatformError("paiement_indisponible", texts.CARD_UNAVAILABLE, status=503)


def require_cgv(data: dict[str, Any]) -> None:
    if data["cgv"] is not True:
        raise PlatformError(
            "cgv_non_acceptees",
            texts.CGV_REQUIRED,
            fields={"cgv": ["Cochez « J'accepte les conditions générales de vente »."]},
        )
