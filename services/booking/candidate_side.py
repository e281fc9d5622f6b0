"""The candidate's own convocations (ID-6), for their signed-in space: the
reservations paid for them, whichever school booked them. The gateway asks
with the files the candidate's account holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg import sql

from services.booking.application import ReservationNotFound
from services.booking.deadlines import CONFIRMED

if TYPE_CHECKING:
    from services.booking.application import BookingApplication


def convocations(app: BookingApplication, candidate_id: UUID) -> list[dict[str, Any]]:
    """The paid seats of one candidate, soonest first (the list follows the
    log: a seat paid a moment ago may take that moment to show)."""
    view = app.views["reservation_list"]
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL(
                "SELECT reservation_id, school_id, centre_name, centre_city,"
                " exam_starts_at FROM {} WHERE candidate_id = %s AND status = %s"
                " ORDER BY exam_starts_at"
            ).format(view.table("reservation_list")),
            (candidate_id, CONFIRMED),
        )
        rows = curs.fetchall()
    return [
        {
            "id": str(row["reservation_id"]),
            "centre_name": row["centre_name"],
            "centre_city": row["centre_city"],
            "exam_starts_at": row["exam_starts_at"].isoformat(),
        }
        for row in rows
    ]


def convocation_pdf(
    app: BookingApplication, candidate_id: UUID, reservation_id: UUID
) -> bytes:
    """The convocation of one of this candidate's paid seats, and no other's."""
    view = app.views["reservation_list"]
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL(
                "SELECT school_id FROM {} WHERE reservation_id = %s"
                " AND candidate_id = %s"
            ).format(view.table("reservation_list")),
            (reservation_id, candidate_id),
        )
        row = curs.fetchone()
    if row is None:
        raise ReservationNotFound()
    return app.convocation_pdf(row["school_id"], reservation_id)
