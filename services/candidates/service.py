"""The candidates nameko service: thin entrypoints over CandidatesApplication."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from nameko.timer import timer

from services.candidates import candidate_side
from services.candidates.application import CandidatesApplication
from services.candidates.domain import CandidateFileError, CandidateFileStateError
from services.candidates.errors import (
    CandidateFileNotFound,
    InvalidCandidateFile,
    ReceiptLinkExpired,
)
from services.candidates.projections import READ_MODELS
from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import RpcProxy, rpc, school_rpc

ERRORS = {
    InvalidCandidateFile: (400, "dossier_invalide"),
    CandidateFileStateError: (409, "etat_incompatible"),
    CandidateFileError: (400, "lien_invalide"),
    CandidateFileNotFound: (404, "dossier_introuvable"),
    ReceiptLinkExpired: (410, "lien_expire"),
    IdempotencyConflict: (422, "cle_deja_utilisee"),
}

# How often overdue files are looked for; the deadline itself is 7 days (CA-4).
EXPIRY_SWEEP_SECONDS = 5
# How often refused and archived files past their retention are looked for.
RETENTION_SWEEP_SECONDS = 10


class CandidatesService:
    """Candidate files (CA-1…CA-5)."""

    name = "candidates"
    errors = ERRORS
    app: CandidatesApplication = ApplicationProvider(
        CandidatesApplication, read_models=READ_MODELS
    )
    booking = RpcProxy("booking")

    @school_rpc
    def create_file(
        self,
        school_id: str,
        school_email: str,
        data: dict[str, Any],
        idempotency_key: str | None = None,
        school_name: str = "",
    ) -> dict[str, Any]:
        """Create a candidate file for a school, if the candidate is eligible."""
        return self.app.create_file(
            school_id, school_email, data, idempotency_key, school_name
        )

    @school_rpc
    def get_file(self, school_id: str, candidate_id: str) -> dict[str, Any]:
        """One of the school's candidate files."""
        return self.app.get_file(UUID(candidate_id), school_id=school_id)

    @school_rpc
    def list_files(self, school_id: str, search: str = "") -> list[dict[str, Any]]:
        """The school's candidate files, searched by name or NEPH."""
        return self.app.list_files(school_id, search)

    @school_rpc
    def change_contact(
        self, school_id: str, candidate_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """New e-mail, postal address or phone (a new e-mail is proved again)."""
        return self.app.change_contact(school_id, UUID(candidate_id), data)

    @school_rpc
    def resend_link(self, school_id: str, candidate_id: str) -> dict[str, Any]:
        """Send the candidate a new activation link (or letter)."""
        return self.app.resend_link(school_id, UUID(candidate_id))

    @school_rpc
    def archive(self, school_id: str, candidate_id: str) -> dict[str, Any]:
        """Archive a file that is done with."""
        return self.app.archive(school_id, UUID(candidate_id))

    @school_rpc
    def erase(self, school_id: str, candidate_id: str) -> dict[str, str]:
        """Erase one of the school's files, unless its candidate holds a seat
        for an exam to come."""
        # Booking knows the seats: asked, rather than kept in a copy fed by
        # every reservation's events, as erasures are rare. A hold taken just
        # after the answer leaves the cart when booking hears of the erasure.
        erasable = self.app.get_erasable(UUID(candidate_id), school_id)
        upcoming = erasable and self.booking.has_upcoming_seat(candidate_id)
        return self.app.erase(UUID(candidate_id), school_id, upcoming)

    @rpc
    def erase_for_candidate(self, candidate_id: str, token: str) -> dict[str, str]:
        """The candidate, through their link, asks for their file's erasure."""
        erasable = self.app.erasable_by_link(UUID(candidate_id), token)
        upcoming = erasable and self.booking.has_upcoming_seat(candidate_id)
        return self.app.erase(UUID(candidate_id), None, upcoming)

    @rpc
    def for_candidate(self, candidate_id: str, token: str) -> dict[str, Any]:
        """What the candidate's activation page shows."""
        return self.app.for_candidate(UUID(candidate_id), token)

    @rpc
    def redeem_code(self, neph: str, code: str) -> dict[str, str]:
        """A letter's code and the NEPH open the candidate's activation page."""
        return self.app.redeem_code(neph, code)

    @rpc
    def confirm(
        self, candidate_id: str, token: str, reuse_refused: bool = False
    ) -> dict[str, Any]:
        """The candidate confirms the data, sworn statement ticked, and says
        whether their data may be reused for information (seed 004). The
        answer carries the receipt's link token: only whoever proved the
        file's link gets one (no method hands one out on an id alone)."""
        confirmed = self.app.confirm(UUID(candidate_id), token, reuse_refused)
        return {
            **confirmed,
            "receipt_token": self.app.receipt_token(UUID(candidate_id)),
        }

    @rpc
    def refuse(self, candidate_id: str, token: str) -> dict[str, Any]:
        """The candidate refuses the data."""
        return self.app.refuse(UUID(candidate_id), token)

    @school_rpc
    def receipt(self, school_id: str, candidate_id: str) -> dict:
        """The activation receipt's data, for its school."""
        return self.app.receipt(UUID(candidate_id), school_id)

    @rpc
    def files_of_candidate(self, candidate_ids: list[str]) -> list[dict[str, Any]]:
        """The candidate's own files, for their space (ids from their account)."""
        return candidate_side.files_of(self.app, candidate_side.as_ids(candidate_ids))

    @rpc
    def candidate_receipt_pdf(self, candidate_id: str) -> str:
        """A confirmed file's receipt, again at any time, base64-encoded."""
        pdf = candidate_side.receipt_pdf(self.app, UUID(candidate_id))
        return base64.b64encode(pdf).decode()

    @school_rpc
    def import_csv(
        self,
        school_id: str,
        school_email: str,
        text: str,
        idempotency_key: str | None = None,
        school_name: str = "",
    ) -> dict:
        """Create files from a CSV; report every line that failed (EX-1)."""
        return self.app.import_csv(
            school_id, school_email, text, idempotency_key, school_name
        )

    @school_rpc
    def export_csv(self, school_id: str) -> str:
        """The school's files as CSV (EX-1)."""
        return self.app.export_csv(school_id)

    @school_rpc(optional=True)
    def receipt_pdf(
        self, school_id: str | None, candidate_id: str, token: str | None = None
    ) -> str:
        """The activation receipt as PDF, base64-encoded for the RPC: for its
        school, or for the candidate's link's token without a context."""
        pdf = self.app.receipt_pdf(UUID(candidate_id), school_id, token)
        return base64.b64encode(pdf).decode()

    @school_rpc
    def booking_view(self, school_id: str, neph: str) -> dict[str, Any]:
        """BO-1: the activated file of this school for a NEPH."""
        return self.app.booking_view(school_id, neph)

    @rpc
    def contact(self, candidate_id: str) -> dict[str, Any]:
        """How to reach a candidate: e-mail, or postal address."""
        return self.app.contact(UUID(candidate_id))

    @timer(interval=EXPIRY_SWEEP_SECONDS)
    def expire_overdue(self) -> None:
        """Delete files not confirmed within 7 days and erase their personal data."""
        self.app.expire_overdue()

    @timer(interval=RETENTION_SWEEP_SECONDS)
    def purge_ended(self) -> None:
        """Erase refused and archived files kept past their retention period."""
        self.app.purge_ended(self.app.settings.candidate_retention_days)

    @consume("identity", contracts.AccountActivationRequested)
    def on_account_activation_requested(self, event: Delivered) -> None:
        """A school's own address: no candidate's file may give it (issue 12)."""
        p = event.payload
        self.app.school_address_published(
            str(p["account_id"]), p["email"], event.tracking
        )

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
