"""Exam results, one per reservation (RE-1): recorded once by the centre's
file, released 24 hours after the exam, once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

PARIS = ZoneInfo("Europe/Paris")
MAX_SCORE = 40
PASS_MARK = 35  # RE-1: 35 right answers out of 40 or more
RELEASE_DELAY = timedelta(hours=24)  # RE-1: released 24 hours after the exam
VALIDITY_YEARS = 5  # RE-1: a pass is valid 5 years
PASSED, FAILED, ABSENT = "admis", "ajourné", "absent"


class ResultError(ValueError):
    """A rule of RE-1 says no; the message is for the back office."""


def check_score(score: int | None) -> None:
    """A score out of 40, or None for an absent candidate."""
    if score is not None and not 0 <= score <= MAX_SCORE:
        raise ResultError(f"La note doit être comprise entre 0 et {MAX_SCORE}.")


def passed(score: int | None) -> bool:
    return score is not None and score >= PASS_MARK


def outcome(score: int | None) -> str:
    """The result as schools and candidates read it."""
    if score is None:
        return ABSENT
    return PASSED if passed(score) else FAILED


def valid_until(exam_starts_at: datetime, score: int | None) -> date | None:
    """RE-1: the last day a pass counts (5 years from the exam day); None
    when the candidate failed or was absent."""
    if not passed(score):
        return None
    day = exam_starts_at.astimezone(PARIS).date()
    try:
        return day.replace(year=day.year + VALIDITY_YEARS)
    except ValueError:  # 29 February: the 28th, five years on
        return day.replace(year=day.year + VALIDITY_YEARS, day=28)


class ExamResult(Aggregate):
    """A reservation's seat at an exam, as booking told it, and its result.

    Its id is the reservation's: a copy fed by booking's events, so a result is
    recorded only for a confirmed seat, at the exam it is for."""

    @event("Confirmed")
    def __init__(
        self,
        reservation_id: UUID,
        school_id: str,
        candidate_id: UUID,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        personal: str = "",
    ) -> None:
        self.school_id = school_id
        self.candidate_id = candidate_id
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_city = centre_city
        self.exam_starts_at = exam_starts_at
        # Who the candidate is (name, NEPH, birth date), sealed with the
        # candidate's key by the application: "" when booking sent nothing.
        self.personal = personal
        self.cancelled = False
        self.recorded = False
        # The score and whether absent, then the published result: sealed.
        self.sealed_result = ""
        self.published_result = ""
        self.published_at: datetime | None = None

    @classmethod
    def create_id(cls, reservation_id: UUID, **kwargs: object) -> UUID:
        return reservation_id

    @event("Moved")
    def move(
        self,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
    ) -> None:
        self.session_id = session_id
        self.centre_name = centre_name
        self.centre_city = centre_city
        self.exam_starts_at = exam_starts_at

    @event("Cancelled")
    def cancel(self) -> None:
        self.cancelled = True

    def check_recordable(self, score: int | None, now: datetime) -> None:
        """Why this result cannot be recorded now, if it cannot."""
        check_score(score)
        if self.cancelled:
            raise ResultError("Cette réservation a été annulée.")
        if now < self.exam_starts_at:
            raise ResultError("L'examen de cette réservation n'a pas encore commencé.")
        if self.recorded:
            raise ResultError("Un résultat est déjà enregistré pour cette réservation.")

    def record(self, score: int | None, now: datetime, sealed: str) -> None:
        """RE-1: a score out of 40, or absent (None); once. The score is
        checked here in clear and kept only as `sealed` (the application
        seals it with the candidate's key: `recorded_fields`)."""
        self.check_recordable(score, now)
        self._recorded(sealed=sealed)

    @event("Recorded")
    def _recorded(self, sealed: str) -> None:
        self.recorded = True
        self.sealed_result = sealed

    @property
    def releases_at(self) -> datetime:
        return self.exam_starts_at + RELEASE_DELAY

    def is_due(self, now: datetime) -> bool:
        """Recorded, not yet released, and 24 hours past the exam's start."""
        return (
            self.recorded
            and self.published_at is None
            and not self.cancelled
            and now >= self.releases_at
        )

    def publish(self, now: datetime, sealed: str) -> None:
        """RE-1: released once, 24 hours after the exam. `sealed`: what the
        result says (`published_fields`), sealed by the application."""
        if not self.is_due(now):
            raise ResultError("Ce résultat ne peut pas être publié maintenant.")
        # Everything `ResultPublished` says, so the relay needs no aggregate.
        self._published(
            published_at=now,
            school_id=self.school_id,
            candidate_id=self.candidate_id,
            session_id=self.session_id,
            centre_name=self.centre_name,
            centre_city=self.centre_city,
            exam_starts_at=self.exam_starts_at,
            sealed=sealed,
        )

    @event("Published")
    def _published(
        self,
        published_at: datetime,
        school_id: str,
        candidate_id: UUID,
        session_id: UUID,
        centre_name: str,
        centre_city: str,
        exam_starts_at: datetime,
        sealed: str,
    ) -> None:
        self.published_at = published_at
        self.published_result = sealed


def recorded_fields(score: int | None) -> dict[str, object]:
    """What a recorded result seals: the score, or absent."""
    check_score(score)
    return {"score": score, "absent": score is None}


def published_fields(
    person: dict[str, object], exam_starts_at: datetime, score: int | None
) -> dict[str, object]:
    """What a released result says (RE-1), the candidate's identity
    (`person`: name, NEPH, birth date) beside it: sealed by the application,
    as the school's list, the PDF and `ResultPublished` read it."""
    until = valid_until(exam_starts_at, score)
    return {
        "candidate_name": person.get("candidate_name") or "",
        "neph": person.get("neph") or "",
        "birth_date": person.get("birth_date") or "",
        "score": score,
        "outcome": outcome(score),
        "valid_until": until.isoformat() if until else None,
    }
