"""Exam centres and exam sessions: the catalogue (SC-1, SC-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

PARIS = ZoneInfo("Europe/Paris")
INDIVIDUAL = "individuelle"
COLLECTIVE = "collective"
MAX_SEATS = {COLLECTIVE: 18, INDIVIDUAL: 2}
OPENS, CLOSES = 8, 19  # hours, Paris time
DEFAULT_DURATION = 60  # minutes
# SC-2: a session someone holds a seat in is cancelled at least this early.
CANCELLATION_NOTICE_DAYS = 7


class SchedulingError(ValueError):
    """A rule of SC-2 or SC-4 says no; `fields` may say which input."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        self.fields = fields or {}
        super().__init__(message)


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
    """One exam session of the catalogue (SC-2). Its seats are booking's: this
    says how many there are, booking gives them (SC-4)."""

    class Scheduled(Aggregate.Created):
        centre_id: UUID
        departement: str
        starts_at: datetime
        duration_minutes: int
        seats: int
        kind: str
        # What a booking shows of its centre, so that `SessionScheduled` is
        # built from this event alone.
        centre_name: str
        centre_address: str
        centre_city: str

    @event(Scheduled)
    def __init__(
        self,
        centre_id: UUID,
        departement: str,
        starts_at: datetime,
        duration_minutes: int,
        seats: int,
        kind: str,
        centre_name: str,
        centre_address: str,
        centre_city: str,
    ) -> None:
        self.centre_id = centre_id
        self.departement = departement
        self.starts_at = starts_at
        self.duration_minutes = duration_minutes
        self.seats = seats
        self.kind = kind
        self.centre_name = centre_name
        self.centre_address = centre_address
        self.centre_city = centre_city
        self.cancelled = False

    @property
    def exam_day(self) -> date:
        return self.starts_at.astimezone(PARIS).date()

    class Cancelled(Aggregate.Event):
        cancelled_at: datetime
        # The operator's words, told to the holders; absent from older events.
        reason: str = ""

    def cancel(self, at: datetime, holders: int = 0, reason: str = "") -> None:
        """SC-2: the operator withdraws the session; `holders` is booking's
        count of the seats held or paid in it (booking owns the seats)."""
        if self.cancelled:
            raise SchedulingError("Cette session est déjà annulée.")
        check_cancellable(self.starts_at, at, holders)
        self._cancelled(cancelled_at=at, reason=reason)

    @event(Cancelled)
    def _cancelled(self, cancelled_at: datetime, reason: str = "") -> None:
        self.cancelled = True


def last_cancellation_with_holders(starts_at: datetime) -> datetime:
    """SC-2: from this instant a session someone holds a seat in may no
    longer be cancelled: 7 days before it, at the same time of day in Paris
    (a change to or from summer time in between moves it by an hour in UTC)."""
    local = starts_at.astimezone(PARIS) - timedelta(days=CANCELLATION_NOTICE_DAYS)
    # In UTC: two datetimes of one zone compare by their wall clocks.
    return local.astimezone(UTC)


def check_cancellable(starts_at: datetime, at: datetime, holders: int) -> None:
    """SC-2: never once started; within 7 days only if nobody holds a seat."""
    if at.astimezone(UTC) >= starts_at.astimezone(UTC):
        raise SchedulingError(
            "Cette session a déjà commencé : elle ne peut plus être annulée."
        )
    limit = last_cancellation_with_holders(starts_at)
    if holders > 0 and at.astimezone(UTC) >= limit:
        raise SchedulingError(
            f"{holders} place(s) réservée(s) dans cette session, qui commence "
            f"dans moins de {CANCELLATION_NOTICE_DAYS} jours : une session dont "
            "des places sont réservées ne peut être "
            f"annulée qu'avant le {limit.astimezone(PARIS):%d/%m/%Y à %H h %M} "
            "(heure de Paris)."
        )
