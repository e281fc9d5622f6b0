"""The candidates nameko service: thin entrypoints over CandidatesApplication."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nameko.rpc import rpc

from services.candidates.application import CandidateFileNotFound, CandidatesApplication
from services.candidates.domain import CandidateFileStateError, InvalidCandidateFile
from services.candidates.projections import READ_MODELS
from services.candidates.schemas import CandidateFileView, NewCandidateFile
from services.common.dependencies import ApplicationProvider
from services.common.rpc import as_platform_errors

ERRORS = {
    InvalidCandidateFile: (400, "dossier_invalide"),
    CandidateFileStateError: (409, "etat_incompatible"),
    CandidateFileNotFound: (404, "dossier_introuvable"),
}


class CandidatesService:
    """Candidate files (CA-1…CA-5)."""

    name = "candidates"
    app: CandidatesApplication = ApplicationProvider(
        CandidatesApplication, read_models=READ_MODELS
    )

    @rpc
    @as_platform_errors(ERRORS)
    def create_file(self, school_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a candidate file for a school."""
        fields = NewCandidateFile().load(data)
        return CandidateFileView().dump(self.app.create_file(school_id, **fields))

    @rpc
    @as_platform_errors(ERRORS)
    def get_file(self, school_id: str, candidate_id: str) -> dict[str, Any]:
        """One of the school's candidate files."""
        view = self.app.get_file(UUID(candidate_id), school_id=school_id)
        return CandidateFileView().dump(view)

    @rpc
    @as_platform_errors(ERRORS)
    def list_files(self, school_id: str) -> list[dict[str, Any]]:
        """The school's candidate files, from the read model."""
        return self.app.list_files(school_id)

    @rpc
    @as_platform_errors(ERRORS)
    def validate_email(self, candidate_id: str) -> dict[str, Any]:
        """The candidate followed the link sent to their e-mail address."""
        return CandidateFileView().dump(self.app.validate_email(UUID(candidate_id)))

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"
