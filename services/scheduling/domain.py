"""Exam centres and exam sessions; the seats of one session are one aggregate.

Two holds racing for a session's last seat meet the event store's version
check: one saves, the other reloads and finds the session full (SC-4).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

PARIS = ZoneInfo("Europe/Paris")
INDIVIDUAL = "individuelle"
COLLECTIVE = "collective"
MAX_SEATS = {COLLECTIVE: 18, INDIVIDUAL: 2}
OPENS, CLOSES = 8, 19  # hours, Paris time
DEFAULT_DURATION = 60  # minutes


class SchedulingError(ValueError):
    """A rule of SC-2 or SC-4 says no; `fields` may say which input."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        self.fields = fields or {}
        super().__init__(message)


class SessionFull(SchedulingError):
    """No free seat left."""


def check_session(
    starts_at: datetime,
    duration_minutes: int,
    seats: int,
    kind: str,
    is_holiday: bool,
) -> None:
    """SC-2: Monday–Saturday, 08:00–19:00 Paris time, no public holiday, seats."""
    errors: dict[str, list[str]] = {}
    local = starts_at.astimezone(PARIS)
    ends = local + timedelta(minutes=duration_minutes)
    if local.weekday() == 6:
        errors["starts_at"] = ["Aucune session le dimanche."]
    elif is_holiday:
        errors["starts_at"] = ["Aucune session un jour férié."]
    elif (
        local.hour < OPENS
        or (ends.hour, ends.minute) > (CLOSES, 0)
        or ends.date() != local.date()
    ):
        errors["starts_at"] = [
            "Les sessions ont lieu entre 8 h et 19 h (heure de Paris)."
        ]
    if not 15 <= duration_minutes <= 120:
        errors["duration_minutes"] = [
            "La durée doit être comprise entre 15 et 120 minutes."
        ]
    if kind not in MAX_SEATS:
        errors["kind"] = [
            "Le type de session doit être « individuelle » ou « collective »."
        ]
    elif not 1 <= seats <= MAX_SEATS[kind]:
        errors["seats"] = [f"Une session {kind} a de 1 à {MAX_SEATS[kind]} places."]
    if errors:
        raise SchedulingError("Cette session ne respecte pas les règles.", errors)


class ExamCentre(Aggregate):
    """Where the theory test is sat (SC-1)."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-centre:{code}")

    class Registered(Aggregate.Created):
        code: str
        name: str
        address: str
        postal_code: str
        city: str
        departement: str
        latitude: float
        longitude: float
        pmr: bool
        opening_hours: str

    @event(Registered)
    def __init__(
        self,
        code: str,
        name: str,
        address: str,
        postal_code: str,
        city: str,
        departement: str,
        latitude: float,
        longitude: float,
        pmr: bool,
        opening_hours: str,
    ) -> None:
        self.code = code
        self.name = name
        self.address = address
        self.postal_code = postal_code
        self.city = city
        self.departement = departement
        self.latitude = latitude
        self.longitude = longitude
        self.pmr = pmr
        self.opening_hours = opening_hours


class ExamSession(Aggregate):
    """One exam session and its seats (SC-2, SC-4)."""

    class Scheduled(Aggregate.Created):
        centre_id: UUID
        departement: str
        starts_at: datetime
        duration_minutes: int
        seats: int
        kind: str

    @event(Scheduled)
    def __init__(
        self,
        centre_id: UUID,
        departement: str,
        starts_at: datetime,
        duration_minutes: int,
        seats: int,
        kind: str,
    ) -> None:
        self.centre_id = centre_id
        self.departement = departement
        self.starts_at = starts_at
        self.duration_minutes = duration_minutes
        self.seats = seats
        self.kind = kind
        self.holders: dict[str, str] = {}  # hold id → candidate id
        # Holds released before they arrived (a late or redelivered request):
        # they must never take a seat afterwards. A dict, not a set: snapshots
        # store the aggregate's state as JSON, which has no sets.
        self.withdrawn: dict[str, bool] = {}
        self.cancelled = False

    @property
    def free_seats(self) -> int:
        return self.seats - len(self.holders)

    @property
    def exam_day(self) -> date:
        return self.starts_at.astimezone(PARIS).date()

    class SlotReserved(Aggregate.Event):
        hold_id: str
        candidate_id: str

    def reserve(self, hold_id: str, candidate_id: str) -> bool:
        """Hold a seat; False if this hold already has one (a retried request)."""
        if hold_id in self.holders:
            return False
        if hold_id in self.withdrawn:
            raise SchedulingError("Cette réservation a déjà été annulée.")
        if self.cancelled:
            raise SchedulingError("Cette session a été annulée.")
        if self.free_seats <= 0:
            raise SessionFull(
                "Cette session est complète : choisissez un autre créneau."
            )
        self._slot_reserved(hold_id=hold_id, candidate_id=candidate_id)
        return True

    @event(SlotReserved)
    def _slot_reserved(self, hold_id: str, candidate_id: str) -> None:
        self.holders[hold_id] = candidate_id

    class SlotReleased(Aggregate.Event):
        hold_id: str

    def release(self, hold_id: str) -> bool:
        """Free a held seat; a hold released before it arrived is withdrawn."""
        if hold_id in self.holders:
            self._slot_released(hold_id=hold_id)
            return True
        if hold_id not in self.withdrawn:
            self._hold_withdrawn(hold_id=hold_id)
        return False

    class HoldWithdrawn(Aggregate.Event):
        hold_id: str

    @event(HoldWithdrawn)
    def _hold_withdrawn(self, hold_id: str) -> None:
        self.withdrawn[hold_id] = True

    @event(SlotReleased)
    def _slot_released(self, hold_id: str) -> None:
        self.holders.pop(hold_id, None)
