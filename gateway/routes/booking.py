"""Search, cart, reservations (SC-3, BO-1…BO-5) and checkout (BO-4, BI-1…BI-3)."""

from __future__ import annotations

import base64
import functools
import math
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas, texts
from gateway.api import endpoint, profile_of
from gateway.http import download, json_response, parse_uuid
from gateway.idempotency import idempotency_key
from services.common.errors import PlatformError
from services.common.settings import Settings

BOOKING = "Inscription"
PENDING = (
    (
        202,
        "Le prestataire de paiement n'a pas répondu : paiement en cours de "
        "vérification, réglé automatiquement (payé ou abandonné sans débit)",
    ),
)


class BookingRoutes:
    """Booking seats and paying for them."""

    # -- search and booking (SC-3, BO-1…BO-5)

    @endpoint(
        "GET",
        "/api/inscription/candidat",
        summary="Bloc candidat : le dossier activé correspondant à un NEPH",
        tag=BOOKING,
        query=schemas.NephQuery,
        response=schemas.Candidate,
    )
    def candidate_block(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.booking.candidate_block(account["account_id"], query["neph"])

    @endpoint(
        "GET",
        "/api/examens/recherche",
        summary="Chercher des sessions autour d'une ville ou d'un code postal",
        tag=BOOKING,
        query=schemas.SessionSearch,
        response=schemas.SearchResult,
    )
    def search_sessions(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        return self.scheduling.search(
            {
                **query,
                "after": query["after"].isoformat() if query["after"] else None,
                "before": query["before"].isoformat() if query["before"] else None,
            }
        )

    @endpoint(
        "POST",
        "/api/panier",
        summary="Réserver une place pour un candidat et l'ajouter au panier",
        tag=BOOKING,
        body=schemas.HoldRequest,
        response=schemas.CartLine,
        status=201,
        idempotent=True,
    )
    def hold_seat(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        session_id = parse_uuid(data["session_id"], "Session")
        key = idempotency_key(request)
        return self.booking.hold(
            account["account_id"], data["neph"], session_id, idempotency_key=key
        )

    @endpoint(
        "GET",
        "/api/panier",
        summary="Le panier : les places réservées non payées",
        tag=BOOKING,
        response=schemas.Cart,
    )
    def cart(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.booking.cart(account["account_id"])}

    @endpoint(
        "PUT",
        "/api/panier/<string:reservation_id>",
        summary="Changer le créneau d'une réservation du panier",
        tag=BOOKING,
        body=schemas.SlotChange,
        response=schemas.CartLine,
    )
    def change_slot(
        self,
        request: Request,
        reservation_id: str,
        data: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        session_id = parse_uuid(data["session_id"], "Session")
        return self.booking.change_slot(
            account["account_id"], reservation_id, session_id
        )

    @endpoint(
        "DELETE",
        "/api/panier/<string:reservation_id>",
        summary="Retirer une réservation du panier (la place est libérée)",
        tag=BOOKING,
        response=schemas.CartLine,
    )
    def remove_from_cart(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        return self.booking.remove(account["account_id"], reservation_id)

    @endpoint(
        "GET",
        "/api/reservations",
        summary="Les réservations, par nom du candidat, NEPH ou date d'examen",
        tag=BOOKING,
        query=schemas.ReservationSearch,
        response=schemas.Cart,
    )
    def reservations(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        exam_date = query["exam_date"].isoformat() if query["exam_date"] else None
        found = self.booking.reservations(
            account["account_id"], query.get("search", ""), exam_date
        )
        return {"items": found}

    # -- checkout (BO-4, BI-1, BI-2)

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
    )
    def pay_by_card(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        # The cart as the school sees it now; billing keeps it with the payment.
        lines = self.booking.cart(account["account_id"])
        payment = self.billing.pay_by_card(
            account["account_id"],
            idempotency_key(request, data["idempotency_key"]),
            lines,
            data["card_number"],
            buyer_of(profile_of(self, account)),
        )
        return paid(payment)

    @endpoint(
        "POST",
        "/api/paiement/sepa",
        summary="Payer le panier par prélèvement SEPA (mandat signé ce jour)",
        tag=BOOKING,
        body=schemas.SepaPayment,
        response=schemas.Payment,
        status=201,
        idempotent=True,
    )
    def pay_by_sepa(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        require_cgv(data)
        lines = self.booking.cart(account["account_id"])
        bank = {k: data[k] for k in ("iban", "bic", "holder")}
        payment = self.billing.pay_by_sepa(
            account["account_id"],
            idempotency_key(request, data["idempotency_key"]),
            lines,
            bank,
            buyer_of(profile_of(self, account)),
        )
        return paid(payment)

    @endpoint(
        "GET",
        "/api/reservations/<string:reservation_id>/convocation",
        summary="Télécharger la convocation d'une réservation payée (PDF)",
        tag=BOOKING,
    )
    def convocation(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> Response:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        pdf = self.booking.convocation_pdf(account["account_id"], reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "convocation.pdf")

    @endpoint(
        "GET",
        "/api/paiements",
        summary="Les paiements de l'auto-école",
        tag=BOOKING,
        response=schemas.PaymentList,
    )
    def payments(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        return {"items": self.billing.payments(account["account_id"])}

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
        pdf = self.billing.invoice_pdf(account["account_id"], checkout_id)
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


def require_cgv(data: dict[str, Any]) -> None:
    if data["cgv"] is not True:
        raise PlatformError(
            "cgv_non_acceptees",
            texts.CGV_REQUIRED,
            fields={"cgv": ["Cochez « J'accepte les conditions générales de vente »."]},
        )


def buyer_of(account: dict[str, Any]) -> dict[str, Any]:
    """The school as its invoices name it (BI-3)."""
    return {
        "company_name": account.get("company_name"),
        "siret": account.get("siret"),
        "address": account.get("address"),
        "email": account.get("email"),
    }
