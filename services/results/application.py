"""Results: booking's confirmed seats, the centres' results, their release
24 hours after the exam (RE-1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking

from services.common.store import ServiceApplication
from services.results.domain import RELEASE_DELAY, ExamResult, ResultError
from services.results.imports import RefusedLine, ResultLine, read_lines
from services.results.publications import PUBLISHED

# How many results one sweep releases: the next sweep takes the rest.
SWEEP_BATCH = 500


class NotYetKnown(LookupError):
    """Booking's confirmation of this reservation has not reached results yet:
    the message is tried again later."""


class ResultsApplication(ServiceApplication):
    """One `ExamResult` per confirmed reservation."""

    name: ClassVar[str] = "results"
    published: ClassVar = PUBLISHED

    # -- booking's reservations, copied --

    def on_confirmed(self, payload: dict[str, Any], tracking: Tracking) -> None:
        result = ExamResult(
            reservation_id=payload["reservation_id"],
            school_id=payload["school_id"],
            candidate_id=payload["candidate_id"],
            session_id=payload["session_id"],
            centre_name=payload["centre_name"],
            centre_city=payload["centre_city"],
            exam_starts_at=_instant(payload["exam_starts_at"]),
        )
        try:
            self.save(result, tracking=tracking)
        except IntegrityError:
            # Confirmed twice under two positions (a replayed log): one copy.
            self.record_processed(tracking)

    def on_changed(self, payload: dict[str, Any], tracking: Tracking) -> None:
        result = self._known(payload["reservation_id"])
        result.move(
            session_id=payload["session_id"],
            centre_name=payload["centre_name"],
            centre_city=payload["centre_city"],
            exam_starts_at=_instant(payload["exam_starts_at"]),
        )
        self.save(result, tracking=tracking)

    def on_cancelled(self, payload: dict[str, Any], tracking: Tracking) -> None:
        result = self._known(payload["reservation_id"])
        if not result.cancelled:
            result.cancel()
        self.save(result, tracking=tracking)

    def _known(self, reservation_id: UUID) -> ExamResult:
        try:
            return self.repository.get(reservation_id)
        except AggregateNotFoundError:
            raise NotYetKnown(str(reservation_id)) from None

    # -- the centres' files (RE-1) --

    def import_results(
        self, text: str, admit: Callable[[ExamResult], None] | None = None
    ) -> dict[str, Any]:
        """Every line checked; the valid ones recorded together (all or none),
        the others reported with their reason. Raises ResultsFileRefused
        when the file cannot be read at all. `admit` refuses (ResultError) a
        line its sender may not record (a centre's: another centre's exam)."""
        lines, refused = read_lines(text)
        now = self.clock.now()
        accepted: list[ExamResult] = []
        for line in lines:
            try:
                accepted.append(self._recorded(line, now, admit))
            except ResultError as exc:
                refused.append(RefusedLine(line.line, str(exc)))
        if accepted:
            try:
                self.save(*accepted)
            except IntegrityError:
                raise ResultError(
                    "Un autre import a enregistré des résultats de ces réservations "
                    "au même moment : rien n'a été importé, relancez l'import."
                ) from None
        return {
            "imported": len(accepted),
            "refused": [
                {"line": r.line, "reason": r.reason}
                for r in sorted(refused, key=lambda r: r.line)
            ],
        }

    def _recorded(
        self,
        line: ResultLine,
        now: datetime,
        admit: Callable[[ExamResult], None] | None = None,
    ) -> ExamResult:
        try:
            result: ExamResult = self.repository.get(line.reservation_id)
        except AggregateNotFoundError:
            raise ResultError(
                "Réservation inconnue (ou pas encore confirmée)."
            ) from None
        if admit is not None:
            admit(result)
        result.record(line.score, now)
        return result

    # -- release (RE-1) --

    def release_due(self) -> int:
        """Release every result 24 hours past its exam, once: a second sweep,
        or another replica's, meets the aggregate's version and skips it."""
        now = self.clock.now()
        released = 0
        for reservation_id in self.views["result_board"].due(
            now - RELEASE_DELAY, SWEEP_BATCH
        ):
            result: ExamResult = self.repository.get(reservation_id)
            if not result.is_due(now):
                continue  # released already; the board has not seen it yet
            result.publish(now)
            try:
                self.save(result)
            except IntegrityError:
                continue  # another sweep released it first
            released += 1
        return released

    # -- the schools' list --

    def school_results(self, school_id: str) -> list[dict[str, Any]]:
        """The school's released results, and only those."""
        return [
            {
                "reservation_id": str(row["reservation_id"]),
                "candidate_id": str(row["candidate_id"]),
                "session_id": str(row["session_id"]),
                "centre_name": row["centre_name"],
                "centre_city": row["centre_city"],
                "exam_starts_at": row["exam_starts_at"].isoformat(),
                "score": row["score"],
                "outcome": row["outcome"],
                "valid_until": row["valid_until"],
                "published_at": row["published_at"].isoformat(),
            }
            for row in self.views["result_board"].published_for(school_id)
        ]


def _instant(value: Any) -> datetime:
    """Booking's exam start, as sent (ISO text) or loaded (datetime)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
