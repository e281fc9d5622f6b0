"""The school's reservations and payments as spreadsheet files (EX-1)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.api import endpoint
from gateway.exports import payments_file, reservations_file
from gateway.http import download
from gateway.routes.booking import BOOKING

CSV = "text/csv"


class ExportRoutes:
    """Downloads of the lists the pages show: only the school's own rows,
    names opened by booking for this answer alone."""

    @endpoint(
        "GET",
        "/api/reservations/export",
        summary="Exporter les réservations en CSV (mêmes filtres que la liste)",
        tag=BOOKING,
        query=schemas.ReservationSearch,
    )
    def export_reservations(
        self, request: Request, query: dict[str, Any], account: dict[str, Any]
    ) -> Response:
        exam_date = query["exam_date"].isoformat() if query["exam_date"] else None
        found = self.booking.reservations(query.get("search", ""), exam_date)
        return download(reservations_file(found), CSV, "reservations.csv")

    @endpoint(
        "GET",
        "/api/paiements/export",
        summary="Exporter les paiements en CSV",
        tag=BOOKING,
    )
    def export_payments(self, request: Request, account: dict[str, Any]) -> Response:
        return download(payments_file(self.billing.payments()), CSV, "paiements.csv")
