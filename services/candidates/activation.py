"""The candidate's side of a file (CA-3): the link or the letter's code that
opens it, confirming or refusing it, and the activation receipt with its
expiring link: part of CandidatesApplication.

Apart from application.py (creation, the school's side, queries) because
this is what the candidate does with a file a school created."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from services.candidates.documents import render_receipt
from services.candidates.domain import CandidateFile, CandidateFileError
from services.candidates.errors import CandidateFileNotFound, ReceiptLinkExpired
from services.candidates.publications import ACTIVATION
from services.common.links import Validity

RECEIPT = "candidate-receipt"
# The receipt's link is a capability: whoever holds it reads the file. It is
# given at confirmation, to download at once; the school can hand it on later.
RECEIPT_VALIDITY = timedelta(hours=24)


class Activation:
    """Part of CandidatesApplication."""

    def _by_link(self, candidate_id: UUID, token: str) -> CandidateFile:
        file = self._get(candidate_id)
        nonce = file.activation_nonce or ""
        if not self.links.matches(token, ACTIVATION, file.id, nonce):
            raise CandidateFileError("Ce lien d'activation n'est pas valide.")
        return file

    def redeem_code(self, neph: str, code: str) -> dict[str, str]:
        """A candidate without e-mail types the NEPH and the letter's code."""
        holder = self._neph_holder(neph.strip().replace(" ", ""))
        file = self._get(holder) if holder else None
        nonce = file.activation_nonce if file else None
        if (
            file is None
            or nonce is None
            or not self.links.code_matches(code, ACTIVATION, file.id, nonce)
        ):
            raise CandidateFileError("Le NEPH ou le code saisi est incorrect.")
        return {
            "candidate_id": str(file.id),
            "token": self.links.token(ACTIVATION, file.id, nonce),
        }

    def for_candidate(self, candidate_id: UUID, token: str) -> dict[str, Any]:
        """What the candidate sees before confirming: what the school entered."""
        file = self._by_link(candidate_id, token)
        file.check_link(file.activation_nonce, self.clock.now())
        return self.view(file)

    def confirm(
        self, candidate_id: UUID, token: str, reuse_refused: bool = False
    ) -> dict[str, Any]:
        file = self._by_link(candidate_id, token)
        if file.email_to_validate:
            file.validate_new_email(file.activation_nonce or "", self.clock.now())
        else:
            file.confirm(file.activation_nonce or "", self.clock.now(), reuse_refused)
        self.save(file)
        return self.view(file)

    def refuse(self, candidate_id: UUID, token: str) -> dict[str, Any]:
        file = self._by_link(candidate_id, token)
        file.refuse(file.activation_nonce or "", self.clock.now())
        self.save(file, self._release_neph(file))
        return self.view(file)

    def receipt(self, candidate_id: UUID, school_id: str | None = None) -> dict:
        """The data of the activation receipt (CA-3)."""
        file = self._get(candidate_id, school_id)
        if file.confirmed_at is None:
            raise CandidateFileError("Ce dossier n'est pas encore activé.")
        return {**self.view(file), "confirmed_at": file.confirmed_at.isoformat()}

    def receipt_pdf(
        self,
        candidate_id: UUID,
        school_id: str | None = None,
        token: str | None = None,
    ) -> bytes:
        """The receipt, for the school (by tenant) or the candidate (by token)."""
        file = self._get(candidate_id, school_id)
        if school_id is None:
            validity = self.links.check_expiring(
                token or "", RECEIPT, file.id, file.request_number, self.clock.now()
            )
            if validity is Validity.EXPIRED:
                raise ReceiptLinkExpired()
            if validity is not Validity.VALID:
                raise CandidateFileNotFound()
        return render_receipt(self.receipt(candidate_id))

    def receipt_token(self, candidate_id: UUID) -> str:
        return self.links.expiring_token(
            RECEIPT,
            candidate_id,
            self._get(candidate_id).request_number,
            self.clock.now() + RECEIPT_VALIDITY,
        )
