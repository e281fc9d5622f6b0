"""What the candidates service publishes: each integration event built from the
stored event and the file as it was right after it (DESIGN: contracts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.candidates.domain import CandidateFile
from services.common import contracts
from services.common.store import Publication

if TYPE_CHECKING:
    from services.candidates.application import CandidatesApplication

ACTIVATION = "candidate-activation"


def _activation_fields(app: CandidatesApplication, e: Any, nonce: str) -> dict:
    file = app.file_at(e)  # the file as it was right after this event
    personal = (
        app.vault.unseal(file.id, file.personal) if file.personal else None
    ) or {}
    return {
        "candidate_id": file.id,
        "school_id": file.school_id,
        "neph": file.neph,
        "contact": file.contact,
        "civility": personal.get("civility"),
        "given_names": personal.get("given_names"),
        "birth_name": personal.get("birth_name"),
        "email": personal.get("email"),
        "address": personal.get("address"),
        "link_token": app.links.token(ACTIVATION, file.id, nonce),
        "code": app.links.code(ACTIVATION, file.id, nonce),
        "expires_at": file.expires_at,
    }


def _created(e: CandidateFile.Created, app: CandidatesApplication) -> dict:
    return {
        **_activation_fields(app, e, e.activation_nonce),
        "school_email": e.school_email,
        "created_at": e.timestamp,
    }


def _reissued(e: Any, app: CandidatesApplication) -> dict | None:
    nonce = getattr(e, "nonce", None)
    if nonce is None:  # a change of address or phone: nothing to send
        return None
    return _activation_fields(app, e, nonce)


def _activated(e: CandidateFile.Confirmed, app: CandidatesApplication) -> dict:
    file = app.file_at(e)
    personal = (
        app.vault.unseal(file.id, file.personal) if file.personal else None
    ) or {}
    names = (personal.get("given_names"), personal.get("birth_name"))
    return {
        "candidate_name": " ".join(n for n in names if n) or None,
        "candidate_id": e.originator_id,
        "school_id": file.school_id,
        "neph": file.neph,
        "request_number": file.request_number,
        "activated_at": e.confirmed_at,
    }


def _email_validated(e: CandidateFile.EmailValidated, app: Any) -> dict:
    return {"candidate_id": e.originator_id, "validated_at": e.validated_at}


def _ended(field: str) -> Any:
    def translate(e: Any, app: CandidatesApplication) -> dict:
        file = app.file_at(e)
        return {
            "candidate_id": e.originator_id,
            "school_id": file.school_id,
            "school_email": file.school_email,
            "neph": file.neph,
            field: getattr(e, field),
        }

    return translate


PUBLISHED: dict[type, Publication] = {
    CandidateFile.Created: Publication(contracts.CandidateCreated, _created),
    CandidateFile.ActivationLinkReissued: Publication(
        contracts.CandidateActivationRequested, _reissued
    ),
    CandidateFile.ContactChanged: Publication(
        contracts.CandidateActivationRequested, _reissued
    ),
    CandidateFile.Confirmed: Publication(contracts.CandidateActivated, _activated),
    CandidateFile.EmailValidated: Publication(
        contracts.EmailValidated, _email_validated
    ),
    CandidateFile.Refused: Publication(
        contracts.CandidateRefused, _ended("refused_at")
    ),
    CandidateFile.Expired: Publication(
        contracts.CandidateExpired, _ended("expired_at")
    ),
}
