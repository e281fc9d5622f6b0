"""The candidate's own view of their files (ID-6), for their signed-in space.

The gateway asks with the files the candidate's account holds (identity
keeps that list): no school is in scope, and no link token is needed, so the
receipt can be downloaded again at any time (CA-3 gave it once, by a link)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from services.candidates.documents import render_receipt
from services.candidates.errors import CandidateFileNotFound

if TYPE_CHECKING:
    from services.candidates.application import CandidatesApplication

# Seed 004's words for a file the candidate has not confirmed yet.
AWAITING_CANDIDATE = "Dossier en attente de validation usager"


def files_of(app: CandidatesApplication, candidate_ids: list[UUID]) -> list[dict]:
    """The files still kept among `candidate_ids` (an erased one is gone)."""
    found = []
    for candidate_id in candidate_ids:
        try:
            file = app._get(candidate_id)
        except CandidateFileNotFound:
            continue
        view = app.view(file)
        if file.confirmed_at is None:
            view["status"] = AWAITING_CANDIDATE
        view["confirmed_at"] = file.confirmed_at and file.confirmed_at.isoformat()
        found.append(view)
    return found


def receipt_pdf(app: CandidatesApplication, candidate_id: UUID) -> bytes:
    return render_receipt(app.receipt(candidate_id))


def as_ids(values: list[str]) -> list[UUID]:
    return [UUID(v) for v in values]
