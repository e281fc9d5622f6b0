"""Search, cart, reservations and their convocations (SC-3, BO-1…BO-5)."""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.api import endpoint
from gateway.http import download, parse_uuid
from gateway.idempotency import idempotency_key
from services.common.settings import Settings

BOOKING = "Inscription"


class BookingRoutes:
    """Finding a slot, holding a seat, the cart and the reservations."""

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
        return self.candidates.booking_view(query["neph"])

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
        return self.booking.hold(data["neph"], session_id, idempotency_key=key)

    @endpoint(
        "GET",
        "/api/panier",
        summary="Le panier : les places réservées non payées",
        tag=BOOKING,
        response=schemas.PricedCart,
    )
    def cart(self, request: Request, account: dict[str, Any]) -> dict[str, Any]:
        items = self.booking.cart()
        # The price billing charges for each seat, shown before paying.
        price = Settings.from_env().seat_price_cents
        return {
            "items": items,
            "seat_price_cents": price,
            "total_cents": price * len(items),
        }

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
        return self.booking.change_slot(reservation_id, session_id)

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
        return self.booking.remove(reservation_id)

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
        found = self.booking.reservations(query.get("search", ""), exam_date)
        return {"items": found}

    @endpoint(
        "GET",
        "/api/reservations/<string:reservation_id>",
        summary="Une réservation et son historique (chaque étape, quand, par qui)",
        tag=BOOKING,
        response=schemas.ReservationDetail,
    )
    def reservation(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        return self.booking.reservation(reservation_id)

    @endpoint(
        "POST",
        "/api/reservations/<string:reservation_id>/annulation",
        summary=(
            "Annuler une réservation payée, jusqu'à 3 jours ouvrés avant "
            "l'examen : la place est libérée et le paiement remboursé (sur la "
            "carte, ou par virement une fois le prélèvement SEPA encaissé)"
        ),
        tag=BOOKING,
        response=schemas.CartLine,
        idempotent=True,
    )
    def cancel_reservation(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        key = idempotency_key(request)
        return self.booking.cancel(reservation_id, idempotency_key=key)

    @endpoint(
        "POST",
        "/api/reservations/<string:reservation_id>/modification",
        summary=(
            "Modifier le créneau d'une réservation payée, jusqu'à 3 jours ouvrés "
            "avant l'examen : même réservation, même prix, nouvelle convocation"
        ),
        tag=BOOKING,
        body=schemas.ReservationChange,
        response=schemas.CartLine,
        idempotent=True,
    )
    def change_reservation(
        self,
        request: Request,
        reservation_id: str,
        data: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        return self._change_slot(request, reservation_id, data)

    @endpoint(
        "PUT",
        "/api/reservations/<string:reservation_id>",
        summary="Modifier le créneau d'une réservation payée (comme …/modification)",
        tag=BOOKING,
        body=schemas.ReservationChange,
        response=schemas.CartLine,
        idempotent=True,
    )
    def put_reservation(
        self,
        request: Request,
        reservation_id: str,
        data: dict[str, Any],
        account: dict[str, Any],
    ) -> dict[str, Any]:
        # The contract names this route; same change, same rules.
        return self._change_slot(request, reservation_id, data)

    def _change_slot(
        self, request: Request, reservation_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        session_id = parse_uuid(data["session_id"], "Session")
        key = idempotency_key(request)
        return self.booking.change(reservation_id, session_id, idempotency_key=key)

    @endpoint(
        "GET",
        "/api/reservations/<string:reservation_id>/avoir",
        summary="Télécharger la facture d'avoir d'une réservation annulée (PDF)",
        tag=BOOKING,
    )
    def credit_note(
        self, request: Request, reservation_id: str, account: dict[str, Any]
    ) -> Response:
        reservation_id = parse_uuid(reservation_id, "Réservation")
        pdf = self.billing.credit_note_pdf(reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "avoir.pdf")

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
        pdf = self.booking.convocation_pdf(reservation_id)
        return download(base64.b64decode(pdf), "application/pdf", "convocation.pdf")
