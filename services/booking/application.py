"""Booking: the cart of held seats and the school's reservations (BO-1…BO-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.booking.domain import (
    CONFIRMED,
    EXPIRED,
    FULL,
    HOLD_DURATION,
    IN_CART,
    MOVED,
    AlreadyBooked,
    BookingError,
    CandidateSeat,
    Reservation,
    check_bookable,
)
from services.common import contracts, inputs
from services.common.documents import render_convocation
from services.common.envelope import Delivered
from services.common.idempotency import Idempotent, first_answer, once, void
from services.common.store import (
    Publication,
    ServiceApplication,
    retry_on_conflict,
)

CHANGED_MEANWHILE = "Cette réservation vient d'être modifiée : réessayez."
NO_SEAT = "Cette demande n'a pas obtenu de place : choisissez un créneau et réessayez."
CONFIRM_ATTEMPTS = 20


class ReservationNotFound(LookupError):
    def __init__(self) -> None:
        super().__init__("Cette réservation est introuvable.")


def _released(e: Reservation.Released, app: BookingApplication) -> dict[str, Any]:
    reservation = app.repository.get(e.originator_id, version=e.originator_version)
    return {
        "reservation_id": e.originator_id,
        "session_id": reservation.session_id,
        "candidate_id": reservation.candidate_id,
        "reason": e.reason,
        "released_at": e.released_at,
    }


def _confirmed(e: Reservation.Confirmed, app: BookingApplication) -> dict[str, Any]:
    reservation = app.repository.get(e.originator_id, version=e.originator_version)
    return {
        **convocation_data(reservation),
        "school_id": reservation.school_id,
        "candidate_id": reservation.candidate_id,
        "session_id": reservation.session_id,
        "checkout_id": e.checkout_id,
        "confirmed_at": e.confirmed_at,
    }


def convocation_data(reservation: Reservation) -> dict[str, Any]:
    return {
        "reservation_id": str(reservation.id),
        "candidate_name": reservation.candidate_name,
        "neph": reservation.neph,
        "centre_name": reservation.centre_name,
        "centre_address": reservation.centre_address,
        "centre_city": reservation.centre_city,
        "exam_starts_at": reservation.exam_starts_at.isoformat(),
    }


class BookingApplication(ServiceApplication):
    """Holds, releases and lists reservations."""

    name: ClassVar[str] = "booking"
    published: ClassVar = {
        Reservation.Released: Publication(contracts.ReservationReleased, _released),
        Reservation.Confirmed: Publication(contracts.ReservationConfirmed, _confirmed),
    }

    def _new_reservation(
        self,
        reservation_id: UUID,
        school_id: str,
        file: dict[str, Any],
        session: dict[str, Any],
        check: bool = True,
        expires_at: datetime | None = None,
    ) -> Reservation:
        now = self.clock.now()
        starts_at = datetime.fromisoformat(session["starts_at"])
        if check:
            check_bookable(starts_at, now)
        return Reservation(
            reservation_id=reservation_id,
            school_id=school_id,
            candidate_id=UUID(file["id"]),
            neph=file["neph"],
            candidate_name=f"{file['given_names']} {file['birth_name']}",
            session_id=UUID(session["id"]),
            centre_name=session["centre"]["name"],
            centre_city=session["centre"]["city"],
            centre_address=(
                f"{session['centre'].get('address', '')}, "
                f"{session['centre'].get('postal_code', '')}"
            ),
            exam_starts_at=starts_at,
            expires_at=expires_at or now + HOLD_DURATION,
        )

    def hold_request(
        self, school_id: str, neph: str, session_id: str, key: str | None
    ) -> Idempotent | None:
        """A hold's idempotency key, scoped to the school, bound to what it asks."""
        asked = {"neph": neph, "session_id": session_id}
        return Idempotent.of(self.settings.secret_key, "hold", school_id, key, asked)

    def first_hold(self, request: Idempotent | None) -> dict[str, Any] | None:
        """The reservation an earlier request with this key made, if any."""
        first = first_answer(self, request) if request else None
        return self._replay_hold(first) if first else None

    def _replay_hold(self, reservation_id: str) -> dict[str, Any]:
        reservation = self._get(UUID(reservation_id))
        if reservation.status == FULL:
            # The first request got no seat and its key was not freed (a stop
            # in between): it answered an error, so does its retry.
            raise BookingError(NO_SEAT)
        return self.view(reservation)

    def hold(
        self,
        school_id: str,
        file: dict[str, Any],
        session: dict[str, Any],
        request: Idempotent | None = None,
    ) -> dict[str, Any]:
        """Put a candidate's seat in the cart, before the seat itself is taken.

        With a key, a retry (or the loser of two concurrent requests) gets the
        reservation the first one made, and nothing more is held."""
        return once(
            self,
            request,
            lambda mark: self._hold(school_id, file, session, mark),
            self._replay_hold,
        )

    def forget_hold(self, request: Idempotent | None) -> None:
        """The seat could not be taken: the key may be used again."""
        void(self, request)

    def _hold(
        self,
        school_id: str,
        file: dict[str, Any],
        session: dict[str, Any],
        mark: Any,
    ) -> dict[str, Any]:
        now = self.clock.now()
        reservation = self._new_reservation(uuid4(), school_id, file, session)
        starts_at = reservation.exam_starts_at
        candidate_id = UUID(file["id"])
        try:
            seat = self.repository.get(CandidateSeat.create_id(candidate_id))
            seat.claim(reservation.id, starts_at, now)
        except AggregateNotFoundError:
            seat = CandidateSeat(
                candidate_id=candidate_id,
                reservation_id=reservation.id,
                exam_starts_at=starts_at,
            )
        try:
            self.save(reservation, seat, *mark(str(reservation.id)))
        except IntegrityError:
            # The same candidate was being booked by another request just now.
            raise AlreadyBooked(
                "Ce candidat a déjà une place réservée pour un examen à venir."
            ) from None
        return self.view(reservation)

    def release(self, school_id: str | None, reservation_id: UUID, reason: str) -> dict:
        """Give a held seat back: the relay tells scheduling to free it."""
        reservation = self._get(reservation_id, school_id)
        reservation.release(reason, self.clock.now())
        seat = self.repository.get(CandidateSeat.create_id(reservation.candidate_id))
        seat.free(reservation.id)
        try:
            self.save(reservation, seat)
        except IntegrityError:
            raise BookingError(CHANGED_MEANWHILE) from None
        return self.view(reservation)

    def in_cart(self, school_id: str, reservation_id: UUID) -> dict[str, Any]:
        """A reservation of this school still in the cart (before changing it)."""
        reservation = self._get(reservation_id, school_id)
        if reservation.status != IN_CART:
            raise BookingError(f"Cette réservation est « {reservation.status} ».")
        return self.view(reservation)

    def check_bookable(self, session: dict[str, Any]) -> None:
        """Raise unless the session can be booked now (BO-2)."""
        check_bookable(datetime.fromisoformat(session["starts_at"]), self.clock.now())

    def move(
        self,
        school_id: str,
        reservation_id: UUID,
        new_id: UUID,
        file: dict[str, Any],
        session: dict[str, Any],
    ) -> dict[str, Any]:
        """BO-3: the new seat is held already; the old one goes, in one save."""
        old = self._get(reservation_id, school_id)
        # The new line keeps the old one's deadline: changing slots never
        # keeps a seat past the 30 minutes.
        new = self._new_reservation(
            new_id, school_id, file, session, expires_at=old.expires_at
        )
        old.release(MOVED, self.clock.now())
        seat = self.repository.get(CandidateSeat.create_id(old.candidate_id))
        seat.free(old.id)
        seat.claim(new.id, new.exam_starts_at, self.clock.now())
        try:
            self.save(old, new, seat)
        except IntegrityError:
            raise BookingError(CHANGED_MEANWHILE) from None
        return self.view(new)

    def abandon(
        self,
        new_id: UUID,
        school_id: str,
        file: dict[str, Any],
        session: dict[str, Any],
    ) -> None:
        """A seat was taken for a change that could not be recorded: give it back."""
        orphan = self._new_reservation(new_id, school_id, file, session, check=False)
        orphan.release(FULL, self.clock.now())
        self.save(orphan)

    def on_payment_captured(self, event: Delivered) -> list[str]:
        """The saga's step: a paid cart's reservations become confirmed, once.

        A line that left the cart before the payment (expired, removed) stays as
        it is; the refund it is owed comes with cancellations (BO-7, BI-4).
        """
        payload = event.payload

        def attempt() -> list[str]:
            reservations = [self._get(r) for r in payload["reservation_ids"]]
            now = self.clock.now()
            confirmed = [
                r for r in reservations if r.confirm(payload["checkout_id"], now)
            ]
            # A line changed meanwhile (expiry sweep, removal): attempted again.
            self.save(*confirmed, tracking=event.tracking)
            return [str(r.id) for r in confirmed]

        return retry_on_conflict(
            attempt, CONFIRM_ATTEMPTS, BookingError(CHANGED_MEANWHILE)
        )

    def convocation_pdf(self, school_id: str, reservation_id: UUID) -> bytes:
        """The convocation of a confirmed reservation of this school (NO-4)."""
        reservation = self._get(reservation_id, school_id)
        if reservation.status != CONFIRMED:
            raise BookingError("La convocation est disponible une fois la place payée.")
        return render_convocation(convocation_data(reservation))

    def expire_holds(self) -> list[str]:
        """BO-3: unpaid holds older than 30 minutes free their seats."""
        now = self.clock.now()
        expired = []
        for reservation_id in self.views["reservation_list"].overdue(now):
            try:
                reservation = self._get(reservation_id)
                if reservation.is_overdue(now):
                    self.release(None, reservation_id, EXPIRED)
                    expired.append(str(reservation_id))
            except (BookingError, ReservationNotFound):
                continue  # released meanwhile by its school or another replica
        return expired

    def cart(self, school_id: str) -> list[dict[str, Any]]:
        return self.views["reservation_list"].search(school_id, status=IN_CART)

    def reservations(
        self, school_id: str, search: str = "", exam_date: str | None = None
    ) -> list[dict[str, Any]]:
        # The gateway checks these too; PostgreSQL cannot even compare a NUL.
        try:
            search = inputs.SEARCH.clean(search)
        except inputs.InputError as exc:
            raise inputs.InvalidFields({"recherche": [str(exc)]}) from None
        if exam_date is not None:
            try:
                exam_date = inputs.day(exam_date).isoformat()
            except inputs.InputError as exc:
                raise inputs.InvalidFields({"date": [str(exc)]}) from None
        return self.views["reservation_list"].search(
            school_id, text=search, exam_date=exam_date
        )

    def _get(self, reservation_id: UUID, school_id: str | None = None) -> Reservation:
        try:
            reservation = self.repository.get(reservation_id)
        except AggregateNotFoundError:
            raise ReservationNotFound() from None
        if not isinstance(reservation, Reservation) or (
            school_id is not None and reservation.school_id != school_id
        ):
            raise ReservationNotFound()
        return reservation

    @staticmethod
    def view(reservation: Reservation) -> dict[str, Any]:
        return {
            "id": str(reservation.id),
            "candidate_id": str(reservation.candidate_id),
            "neph": reservation.neph,
            "candidate_name": reservation.candidate_name,
            "session_id": str(reservation.session_id),
            "centre_name": reservation.centre_name,
            "centre_city": reservation.centre_city,
            "exam_starts_at": reservation.exam_starts_at.isoformat(),
            "expires_at": reservation.expires_at.isoformat(),
            "status": reservation.status,
        }
