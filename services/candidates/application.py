"""Candidate files: commands and queries, returning plain data."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.candidates.domain import CandidateFile, check_new_file
from services.common import contracts
from services.common.store import Publication, ServiceApplication


class CandidateFileNotFound(LookupError):
    """No candidate file with that id (for that school)."""


def _created(e: CandidateFile.Created, app: Any) -> dict[str, Any]:
    return {
        "candidate_id": e.originator_id,
        "school_id": e.school_id,
        "neph": e.neph,
        "civility": e.civility,
        "birth_name": e.birth_name,
        "given_names": e.given_names,
        "email": e.email,
        "created_at": e.timestamp,
    }


def _email_validated(e: CandidateFile.EmailValidated, app: Any) -> dict[str, Any]:
    return {"candidate_id": e.originator_id, "validated_at": e.validated_at}


class CandidatesApplication(ServiceApplication):
    """The candidates service's application."""

    name: ClassVar[str] = "candidates"
    published: ClassVar = {
        CandidateFile.Created: Publication(contracts.CandidateCreated, _created),
        CandidateFile.EmailValidated: Publication(
            contracts.EmailValidated, _email_validated
        ),
    }

    def create_file(
        self,
        school_id: str,
        neph: str,
        civility: str,
        birth_name: str,
        given_names: str,
        email: str | None = None,
    ) -> dict[str, Any]:
        email = email.strip().lower() if email else None
        check_new_file(neph, civility, birth_name, given_names, email)
        candidate = CandidateFile(
            school_id=school_id,
            neph=neph,
            civility=civility,
            birth_name=birth_name.strip(),
            given_names=given_names.strip(),
            email=email,
        )
        self.save(candidate)
        return self._view(candidate)

    def validate_email(self, candidate_id: UUID) -> dict[str, Any]:
        candidate = self._get(candidate_id)
        candidate.validate_email(at=self.clock.now())
        self.save(candidate)
        return self._view(candidate)

    def get_file(self, candidate_id: UUID, school_id: str | None = None) -> dict:
        candidate = self._get(candidate_id)
        if school_id is not None and candidate.school_id != school_id:
            raise CandidateFileNotFound(candidate_id)
        return self._view(candidate)

    def list_files(self, school_id: str) -> list[dict[str, Any]]:
        return self.views["candidate_list"].list_for_school(school_id)

    def _get(self, candidate_id: UUID) -> CandidateFile:
        try:
            return self.repository.get(candidate_id)
        except AggregateNotFoundError:
            raise CandidateFileNotFound(candidate_id) from None

    @staticmethod
    def _view(candidate: CandidateFile) -> dict[str, Any]:
        return {
            "id": str(candidate.id),
            "school_id": candidate.school_id,
            "neph": candidate.neph,
            "civility": candidate.civility,
            "birth_name": candidate.birth_name,
            "given_names": candidate.given_names,
            "email": candidate.email,
            "status": candidate.status,
            "created_at": candidate.created_on.isoformat(),
        }
