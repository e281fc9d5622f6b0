"""The waiting lists (EX-2): a school queues a candidate on a full session,
reads its entries with their rank, takes one out; a seat freed in that
session, for whatever reason, is held for the first in line in the same
commit as it is freed (`_offer_freed_seat`), for the offer's time
(PMC_WAITING_LIST_OFFER_MINUTES). Unpaid by then, the expiry sweep frees it
again, and the same step offers it to the next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from services.booking.carts import SchoolCart
from services.booking.domain import Reservation
from services.booking.inventory import BUSY, Catalogue, SessionNotFound
from services.booking.rules import BookingError, HoldLimits
from services.booking.seats import SessionSeats
from services.booking.waiting_list import (
    NOT_FOUND,
    SchoolWaitingLists,
    WaitingEntryNotFound,
    WaitingList,
    can_be_offered,
    why_not_offered,
)
from services.common.idempotency import Idempotent, once
from services.common.store import retry_on_conflict

QUEUE_ATTEMPTS = 10
# An offer is one seat the school asked for beforehand: the cap on its unpaid
# lines (issue 12) does not refuse it; its share of the session still does.
NO_CART_CAP = 10**9


class WaitingLists:
    """Part of BookingApplication."""

    # -- the school's requests ---------------------------------------------------

    def queue_request(
        self, school_id: str, neph: str, session_id: str, key: str | None
    ) -> Idempotent | None:
        """A queueing's idempotency key, scoped to the school."""
        asked = {"neph": neph, "session_id": session_id}
        return Idempotent.of(
            self.settings.secret_key.get_secret_value(),
            "waiting-list",
            school_id,
            key,
            asked,
        )

    def join_waiting_list(
        self,
        school_id: str,
        neph: str,
        session_id: UUID,
        catalogue: Catalogue,
        request: Idempotent | None = None,
    ) -> dict[str, Any]:
        """Queue one of the school's activated files on a full session; a
        retry with the same key gets the first answer."""
        bookable_id = self._known_candidate(school_id, neph, catalogue)
        self._known_seats(session_id, catalogue)

        def act(mark: Any) -> dict[str, Any]:
            def attempt() -> dict[str, Any]:
                candidate = self._bookable(bookable_id)
                # As the store has it: a seat freed on another replica makes
                # the session no longer full (the line is version-checked).
                self.forget_id(SessionSeats.create_id(session_id))
                seats = self._seats(session_id, to_change=False)
                line = self._waiting_list(session_id)
                index = self._school_lists(school_id)
                entry_id = uuid4()
                line.queue(entry_id, candidate, seats, self.hold_limits, self.now)
                index.add(session_id, self.now)
                self.save(line, index, *mark(f"{session_id}:{entry_id}"))
                return self._entry_answer(line, seats, entry_id, school_id)

            with self.locks.held(session_id):
                return self.on_the_stores_word(
                    lambda: retry_on_conflict(
                        attempt, QUEUE_ATTEMPTS, BookingError(BUSY)
                    )
                )

        return once(self, request, act, lambda first: self._replay(school_id, first))

    def waiting_entries(self, school_id: str) -> list[dict[str, Any]]:
        """The school's candidates in line, on sessions to come, by exam date."""
        try:
            index = self._stored(SchoolWaitingLists.create_id(school_id))
        except AggregateNotFoundError:
            return []
        found = []
        for session_id in index.sessions:
            try:
                line = self._stored(WaitingList.create_id(UUID(session_id)))
                seats = self._seats(UUID(session_id), to_change=False)
            except (AggregateNotFoundError, SessionNotFound):
                continue
            if seats.starts_at <= self.now:
                continue
            for entry in line.of_school(school_id):
                found.append(self._shown(entry, seats))
        return sorted(found, key=lambda e: (e["exam_starts_at"], e["rank"]))

    def leave_waiting_list(self, school_id: str, entry_id: UUID) -> dict[str, Any]:
        """Take one of the school's candidates out of a line."""
        session_id = self._session_of(school_id, entry_id)

        def attempt() -> dict[str, Any]:
            line = self._waiting_list(session_id)
            seats = self._seats(session_id, to_change=False)
            shown = self._entry_answer(line, seats, entry_id, school_id)
            line.leave(entry_id, school_id)
            self.save(line)
            return {**shown, "rank": None}

        with self.locks.held(session_id):
            return retry_on_conflict(attempt, QUEUE_ATTEMPTS, BookingError(BUSY))

    # -- a freed seat goes to the first in line ----------------------------------

    @property
    def offer_duration(self) -> timedelta:
        return timedelta(minutes=self.settings.waiting_list_offer_minutes)

    def _offer_freed_seat(self, seats: SessionSeats, changed: dict[UUID, Any]) -> None:
        """Called where a seat of `seats` was just freed, before the commit:
        the first in line who can take it gets it as a hold in its school's
        cart; an entry that no longer can leaves the line. `changed` holds the
        aggregates of that commit (by id): the offer's are added to it."""
        line_id = WaitingList.create_id(seats.id)
        try:
            line = changed.get(line_id) or self._load(line_id)
        except AggregateNotFoundError:
            return  # nobody ever waited on this session
        now = self.now
        if not line.entries or not can_be_offered(seats, now):
            return  # a closed session keeps its line; nothing is offered
        limits = HoldLimits(NO_CART_CAP, self.hold_limits.session_percent)
        for entry in list(line.entries):
            try:
                candidate = changed.get(UUID(entry["bookable_id"])) or self._bookable(
                    UUID(entry["bookable_id"])
                )
            except AggregateNotFoundError:
                line.drop(entry, seats, NOT_FOUND)
                continue
            reason = why_not_offered(candidate, seats, limits, now)
            if reason:
                line.drop(entry, seats, reason, personal=candidate.personal)
                continue
            cart_id = SchoolCart.create_id(entry["school_id"])
            cart = changed.get(cart_id) or self._cart(entry["school_id"])
            expires_at = now + self.offer_duration
            reservation = Reservation.hold(
                uuid4(), candidate, seats, cart, limits, now, expires_at
            )
            line.offered(entry, reservation.id, seats, expires_at)
            for aggregate in (reservation, candidate, cart, seats):
                changed[aggregate.id] = aggregate
            break
        changed[line.id] = line

    # -- a file that ended leaves every line --------------------------------------

    def _lines_left_by(
        self, school_id: str, candidate_id: UUID, personal: str, reason: str
    ) -> list[WaitingList]:
        """The lines of sessions to come the school's ended file waited in,
        its entries dropped (saved in the commit that ends the file)."""
        try:
            index = self._stored(SchoolWaitingLists.create_id(school_id))
        except AggregateNotFoundError:
            return []
        changed = []
        for session_id in map(UUID, index.sessions):
            try:
                seats = self._seats(session_id, to_change=False)
                self.forget_id(WaitingList.create_id(session_id))
                line = self._load(WaitingList.create_id(session_id))
            except (AggregateNotFoundError, SessionNotFound):
                continue
            if seats.starts_at > self.now and line.drop_file(
                candidate_id, personal, seats, reason
            ):
                changed.append(line)
        return changed

    def _sealed_of_line(self, line: WaitingList) -> dict[str, str]:
        """Who each file in line is, sealed as booking keeps it (by its id);
        none for a file gone."""
        found = {}
        for entry in line.entries:
            try:
                bookable = self._load(UUID(entry["bookable_id"]), to_change=False)
            except AggregateNotFoundError:
                continue
            found[entry["bookable_id"]] = bookable.personal
        return found

    # -- helpers -------------------------------------------------------------------

    def _stored(self, aggregate_id: UUID) -> Any:
        """An aggregate as the store has it: the lines are read rarely, and
        another replica may have changed what this one remembers."""
        self.forget_id(aggregate_id)
        return self._load(aggregate_id, to_change=False)

    def _waiting_list(self, session_id: UUID) -> WaitingList:
        try:
            return self._load(WaitingList.create_id(session_id))
        except AggregateNotFoundError:
            return WaitingList.of(session_id)

    def _school_lists(self, school_id: str) -> SchoolWaitingLists:
        try:
            return self._load(SchoolWaitingLists.create_id(school_id))
        except AggregateNotFoundError:
            return SchoolWaitingLists.of(school_id)

    def _session_of(self, school_id: str, entry_id: UUID) -> UUID:
        """The session where this school's entry waits; not found otherwise
        (another school's, gone already)."""
        try:
            index = self._stored(SchoolWaitingLists.create_id(school_id))
        except AggregateNotFoundError:
            raise WaitingEntryNotFound() from None
        for session_id in index.sessions:
            try:
                line = self._stored(WaitingList.create_id(UUID(session_id)))
                line.entry(entry_id, school_id)
                return UUID(session_id)
            except (AggregateNotFoundError, WaitingEntryNotFound):
                continue
        raise WaitingEntryNotFound()

    def _entry_answer(
        self, line: WaitingList, seats: SessionSeats, entry_id: UUID, school_id: str
    ) -> dict[str, Any]:
        for entry in line.of_school(school_id):
            if entry["entry_id"] == str(entry_id):
                return self._shown(entry, seats)
        raise WaitingEntryNotFound()

    def _replay(self, school_id: str, first: str) -> dict[str, Any]:
        """The first request's entry; left the line since (offered a seat,
        taken out): shown without a rank."""
        session_id, entry_id = (UUID(part) for part in first.split(":"))
        seats = self._seats(session_id, to_change=False)
        try:
            line = self._stored(WaitingList.create_id(session_id))
            return self._entry_answer(line, seats, entry_id, school_id)
        except (AggregateNotFoundError, WaitingEntryNotFound):
            gone = {"entry_id": str(entry_id), "rank": None, "queued_at": None}
            return self._shown(gone, seats)

    def _shown(self, entry: dict[str, Any], seats: SessionSeats) -> dict[str, Any]:
        """An entry as the school reads it, its candidate opened."""
        return {
            "id": entry["entry_id"],
            "candidate_id": entry.get("candidate_id"),
            **self._who(entry.get("bookable_id")),
            "session_id": str(seats.id),
            "centre_name": seats.centre_name,
            "centre_city": seats.centre_city,
            "exam_starts_at": seats.starts_at.isoformat(),
            "queued_at": entry.get("queued_at"),
            "rank": entry["rank"],
        }

    def _who(self, bookable_id: str | None) -> dict[str, str]:
        """The NEPH and name of the file in line ("" once erased)."""
        try:
            candidate = self._load(UUID(bookable_id), False) if bookable_id else None
        except AggregateNotFoundError:
            candidate = None
        if candidate is None:
            return {"neph": "", "candidate_name": ""}
        who = self.candidate_keys.opened(candidate.candidate_id, candidate.personal)
        return {"neph": who["neph"], "candidate_name": who["candidate_name"]}
