"""Results: booking's confirmed seats, the centres' results, their release
24 hours after the exam (RE-1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Tracking

from services.common.store import ServiceApplication
from services.results.domain import (
    RELEASE_DELAY,
    ExamResult,
    ResultError,
    published_fields,
    recorded_fields,
)
from services.results.downloads import ResultDownloads
from services.results.imports import RefusedLine, ResultLine, read_lines
from services.results.publications import PUBLISHED
from services.results.sealed import ResultSeals

# How many results one sweep releases: the next sweep takes the rest.
SWEEP_BATCH = 500


class NotYetKnown(LookupError):
    """Booking's confirmation of this reservation has not reached results yet:
    the message is tried again later."""


class ResultsApplication(ResultDownloads, ServiceApplication):
    """One `ExamResult` per confirmed reservation."""

    name: ClassVar[str] = "results"
    published: ClassVar = PUBLISHED
    # `ResultPublished` carries the candidate's result, opened by the relay.
    publishes_sealed: ClassVar = True

    @cached_property
    def seals(self) -> ResultSeals:
        return ResultSeals(self.keystore, owner=self.name)

    def sealed_subject(self, event: Any) -> UUID | None:
        """A released result opens with its candidate's key; others, nothing."""
        if isinstance(event, ExamResult.Published):
            return event.candidate_id
        return None

    # -- booking's reservations, copied --

    def on_confirmed(self, payload: dict[str, Any], tracking: Tracking) -> None:
        """A confirmed seat, who it is for sealed with results' own key."""
        candidate_id = UUID(str(payload["candidate_id"]))
        result = ExamResult(
            reservation_id=payload["reservation_id"],
            school_id=payload["school_id"],
            candidate_id=payload["candidate_id"],
            session_id=payload["session_id"],
            centre_name=payload["centre_name"],
            centre_city=payload["centre_city"],
            exam_starts_at=_instant(payload["exam_starts_at"]),
            personal=self.seals.seal_person(candidate_id, payload),
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
        sealed = self.seals.seal(result.candidate_id, recorded_fields(line.score))
        result.record(line.score, now, sealed)
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
            result.publish(now, self._released_result(result))
            try:
                self.save(result)
            except IntegrityError:
                continue  # another sweep released it first
            released += 1
        return released

    def _released_result(self, result: ExamResult) -> str:
        """What the released result says, sealed. For a candidate erased
        since (nothing opens), "": the result is still released, once, so
        that the sweep moves on instead of meeting it every time, but with
        nothing in it; nobody is told (the notifier finds nobody to write to)
        and the school's list leaves it out, as the school that erased the
        file expects."""
        recorded = self.seals.open(result.candidate_id, result.sealed_result)
        if recorded is None:
            return ""
        person = self.seals.open(result.candidate_id, result.personal) or {}
        fields = published_fields(person, result.exam_starts_at, recorded["score"])
        return self.seals.seal(result.candidate_id, fields)

    # -- the schools' list --

    def school_results(self, school_id: str) -> list[dict[str, Any]]:
        """The school's released results, and only those; a result whose
        candidate was erased is left out (nothing of it opens)."""
        rows = self.views["result_board"].published_for(school_id)
        return [school_row(row, opened) for row, opened in self.seals.open_all(rows)]


def school_row(row: Mapping[str, Any], opened: dict[str, Any]) -> dict[str, Any]:
    """A released result as the school reads it: the board's row and what
    its sealed result says."""
    return {
        "reservation_id": str(row["reservation_id"]),
        "candidate_id": str(row["candidate_id"]),
        "session_id": str(row["session_id"]),
        "candidate_name": opened["candidate_name"],
        "neph": opened["neph"],
        "birth_date": opened["birth_date"] or None,
        "centre_name": row["centre_name"],
        "centre_city": row["centre_city"],
        "exam_starts_at": row["exam_starts_at"].isoformat(),
        "score": opened["score"],
        "outcome": opened["outcome"],
        "valid_until": opened["valid_until"],
        "published_at": row["published_at"].isoformat(),
    }


def _instant(value: Any) -> datetime:
    """Booking's exam start, as sent (ISO text) or loaded (datetime)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
