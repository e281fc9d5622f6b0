"""Erasing candidate files (TR-4): on request of the school or the candidate,
when a file expires unconfirmed (CA-4), and when a refused or archived file's
retention ends. Forgetting a file's keys makes every sealed copy unreadable at
once: this service's events and the messages on the bus."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.candidates.domain import ERASED
from services.candidates.errors import CandidateFileNotFound

# Why a file was erased (CandidateFile.Erased.reason).
ON_REQUEST = "demande"
END_OF_RETENTION = "conservation"


class Erasure:
    """The candidates application's erasing commands (a mixin: the store,
    the vault and the list are the application's)."""

    _get: Any
    _load: Any
    _by_link: Any
    _release_neph: Any
    clock: Any
    save: Any
    vault: Any
    views: Any

    def expire_overdue(self) -> list[str]:
        """Delete every file left unconfirmed past its 7 days (CA-4)."""
        now = self.clock.now()
        expired = []
        for candidate_id in self.views["candidate_list"].overdue(now):
            try:
                file = self._get(candidate_id)
            except CandidateFileNotFound:
                continue  # expired already (a lagging read model, another replica)
            if not file.is_overdue(now):
                continue
            file.expire(now)
            try:
                self.save(file, self._release_neph(file))
            except IntegrityError:
                continue  # another replica's sweep expired it a moment earlier
            # Forgetting the subject's keys erases the sealed personal data
            # everywhere: this service's events, every message on the bus.
            self.vault.forget(file.id)
            expired.append(str(file.id))
        return expired

    def get_erasable(self, candidate_id: UUID, school_id: str | None) -> bool:
        """Whether erasing would change anything (another school's: not found)."""
        return not self._load(candidate_id, school_id).is_erased

    def erase(
        self,
        candidate_id: UUID,
        school_id: str | None,
        seat_upcoming: bool,
        reason: str = ON_REQUEST,
    ) -> dict[str, str]:
        """Erase a file: its key is forgotten (every sealed copy becomes
        unreadable), its list row deleted, and CandidateErased tells the other
        services. Asking again answers the same (a double click, a retry)."""
        file = self._load(candidate_id, school_id)
        if not file.is_erased:
            file.erase(self.clock.now(), reason, seat_upcoming)
            try:
                self.save(file, self._release_neph(file))
            except IntegrityError:
                # Erased a moment earlier by another request or the sweep.
                file = self._load(candidate_id, school_id)
        # Also after a crash between the save and here: forgetting is idempotent.
        self.vault.forget(file.id)
        return {"id": str(file.id), "status": ERASED}

    def erasable_by_link(self, candidate_id: UUID, token: str) -> bool:
        """Whether the candidate's erasure through their link would change
        anything; a wrong link is refused."""
        file = self._load(candidate_id)
        if file.is_erased:
            return False  # asked twice: the link died with the file
        self._by_link(candidate_id, token)
        return True

    def purge_ended(self, retention_days: float) -> list[str]:
        """Erase refused and archived files kept past their retention period."""
        now = self.clock.now()
        retention = timedelta(days=retention_days)
        purged = []
        for candidate_id in self.views["candidate_list"].ended_before(now - retention):
            try:
                file = self._get(candidate_id)
            except CandidateFileNotFound:
                continue  # erased already (a lagging read model, another replica)
            if file.retention_over(now, retention):
                self.erase(file.id, None, False, END_OF_RETENTION)
                purged.append(str(file.id))
        return purged
