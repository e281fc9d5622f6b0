"""What the candidates service publishes: each integration event built from the
stored event alone (DESIGN: contracts; the events carry what is needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.candidates.domain import CandidateFile
from services.common import contracts
from services.common.store import Publication

if TYPE_CHECKING:
    from services.candidates.application import CandidatesApplication

ACTIVATION = "candidate-activation"


def _activation_fields(app: CandidatesApplication, e: Any, nonce: str) -> dict:
    """What a candidate needs to confirm: the file's data as of event `e`."""
    file_id = e.originator_id
    # Unreadable (None) once the file's key is forgotten: it expired meanwhile.
    personal = (app.vault.unseal(file_id, e.personal) if e.personal else None) or {}
    return {
        "candidate_id": file_id,
        "school_id": e.school_id,
        # Only for whom there is someone to write to (sealed on the bus).
        "neph": e.neph if personal else None,
        "contact": e.contact,
        "civility": personal.get("civility"),
        "given_names": personal.get("given_names"),
        "birth_name": personal.get("birth_name"),
        "email": personal.get("email"),
        "address": personal.get("address"),
        "phone": personal.get("phone"),
        # Events stored before the school's name was kept lack it.
        "school_name": getattr(e, "school_name", "") or None,
        # Nobody to send them to once erased: nothing is sealed then, and no
        # key is made again for the erased file.
        "link_token": app.links.token(ACTIVATION, file_id, nonce) if personal else None,
        "code": app.links.code(ACTIVATION, file_id, nonce) if personal else None,
        "expires_at": e.expires_at,
    }


def _created(e: CandidateFile.Created, app: CandidatesApplication) -> dict:
    return {
        **_activation_fields(app, e, e.activation_nonce),
        "school_email": e.school_email,
        "created_at": e.timestamp,
    }


def _reissued(e: Any, app: CandidatesApplication) -> dict | None:
    if e.nonce is None:  # a change of address or phone: nothing to send
        return None
    return _activation_fields(app, e, e.nonce)


def _activated(e: CandidateFile.Confirmed, app: CandidatesApplication) -> dict:
    # The name booking shows; unreadable (None) once the file's key is forgotten.
    sealed = getattr(e, "personal", None)
    personal = (app.vault.unseal(e.originator_id, sealed) if sealed else None) or {}
    names = (personal.get("given_names"), personal.get("birth_name"))
    return {
        "candidate_name": " ".join(n for n in names if n) or None,
        "birth_date": personal.get("birth_date"),
        "candidate_id": e.originator_id,
        "school_id": e.school_id,
        "school_name": getattr(e, "school_name", "") or None,
        "school_email": getattr(e, "school_email", "") or None,
        "neph": e.neph,
        "request_number": e.request_number,
        "activated_at": e.confirmed_at,
    }


def _email_validated(e: CandidateFile.EmailValidated, app: Any) -> dict:
    return {"candidate_id": e.originator_id, "validated_at": e.validated_at}


def _ended(field: str) -> Any:
    def translate(e: Any, app: Any) -> dict:
        return {
            "candidate_id": e.originator_id,
            "school_id": e.school_id,
            "school_email": e.school_email,
            "neph": e.neph,
            field: getattr(e, field),
        }

    return translate


def _archived(e: CandidateFile.Archived, app: Any) -> dict:
    return {
        "candidate_id": e.originator_id,
        "school_id": e.school_id,
        "neph": e.neph,
        "archived_at": e.archived_at,
    }


def _erased(e: CandidateFile.Erased, app: Any) -> dict:
    return {
        "candidate_id": e.originator_id,
        "school_id": e.school_id,
        "neph": e.neph,
        "erased_at": e.erased_at,
    }


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
    CandidateFile.Archived: Publication(contracts.CandidateArchived, _archived),
    CandidateFile.Refused: Publication(
        contracts.CandidateRefused, _ended("refused_at")
    ),
    CandidateFile.Expired: Publication(
        contracts.CandidateExpired, _ended("expired_at")
    ),
    CandidateFile.Erased: Publication(contracts.CandidateErased, _erased),
}
