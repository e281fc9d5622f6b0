"""The identity nameko service: thin RPC entrypoints over IdentityApplication."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import rpc, school_rpc
from services.identity.application import IdentityApplication
from services.identity.candidate_account import (
    AccountClosed,
    CodeExpired,
    CodeInvalid,
    NoCodeToCheck,
)
from services.identity.candidate_accounts import CandidateAccounts
from services.identity.digital_identity_service import (
    IDENTITY_ERRORS,
    DigitalIdentityRpc,
)
from services.identity.errors import (
    AccountNotActive,
    AccountNotFound,
    AlreadyActive,
    BadCredentials,
    InvalidFields,
    LinkExpired,
    LinkInvalid,
    NotAuthenticated,
    RevocationsBehind,
)
from services.identity.projections import READ_MODELS

ERRORS = {
    InvalidFields: (400, "donnees_invalides"),
    AccountNotFound: (404, "compte_introuvable"),
    BadCredentials: (401, "identifiants_incorrects"),
    AccountNotActive: (403, "compte_non_active"),
    NotAuthenticated: (401, "non_authentifie"),
    LinkInvalid: (400, "lien_invalide"),
    LinkExpired: (410, "lien_expire"),
    AlreadyActive: (409, "compte_deja_active"),
    IdempotencyConflict: (422, "cle_deja_utilisee"),
    RevocationsBehind: (503, "revocations_en_retard"),
    CodeInvalid: (400, "code_incorrect"),
    CodeExpired: (410, "code_expire"),
    NoCodeToCheck: (409, "aucun_code_attendu"),
    AccountClosed: (409, "compte_ferme"),
    **IDENTITY_ERRORS,
}


class IdentityService(DigitalIdentityRpc):
    """Accounts, sign-in and sessions (ID-1…ID-5).

    A school is its account: the school-bound methods' `account_id` is the
    school of the call's signed context (services/common/acting.py)."""

    name = "identity"
    errors = ERRORS
    app: IdentityApplication = ApplicationProvider(IdentityApplication, READ_MODELS)

    @rpc
    def sign_up(
        self, data: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a school's account; its activation e-mail follows."""
        return self.app.sign_up(data, idempotency_key)

    @rpc
    def activate(self, account_id: str, token: str) -> dict[str, Any]:
        """Follow an activation link."""
        return self.app.activate(UUID(account_id), token)

    @rpc
    def resend_activation(self, email: str) -> dict[str, Any]:
        """Send a new activation link (the previous one stops working)."""
        return self.app.resend_activation(email)

    @rpc
    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Check credentials and open a session (a bearer token)."""
        return self.app.sign_in(email, password)

    @rpc
    def end_session(self, token: str) -> None:
        """Sign-out: the session of this bearer token ends."""
        self.app.end_session(token)

    @rpc
    def revocations(self) -> dict[str, Any]:
        """The revocations still in force, for a gateway that (re)connects."""
        return self.app.revocations()

    @rpc
    def request_password_reset(self, email: str) -> dict[str, Any]:
        """E-mail a reset link valid 2 hours."""
        return self.app.request_password_reset(email)

    @rpc
    def reset_password(self, account_id: str, token: str, password: str) -> None:
        """Follow a reset link with a new password."""
        self.app.reset_password(UUID(account_id), token, password)

    @school_rpc
    def profile(self, account_id: str) -> dict[str, Any]:
        """The account's profile."""
        return self.app.profile(UUID(account_id))

    @school_rpc
    def update_profile(self, account_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Change civility, names, phone, raison sociale or SIRET."""
        return self.app.update_profile(UUID(account_id), data)

    @school_rpc
    def change_password(
        self,
        account_id: str,
        current_password: str,
        new_password: str,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """Change the password; other sessions end, this one gets a new token."""
        return self.app.change_password(
            UUID(account_id), current_password, new_password, session_id
        )

    # -- candidates' accounts (ID-6) ------------------------------------------------

    @rpc
    def open_candidate_account(
        self, candidate_id: str, email: str, phone: str | None, password: str
    ) -> dict[str, Any]:
        """On a file's confirmation: the candidate's account, codes sent."""
        accounts = CandidateAccounts(self.app)
        return accounts.open(UUID(candidate_id), email, phone, password)

    @rpc
    def send_candidate_code(self, account_id: str, channel: str) -> dict[str, Any]:
        """A new 6-digit code, by e-mail or by SMS."""
        return CandidateAccounts(self.app).send_code(UUID(account_id), channel)

    @rpc
    def verify_candidate_code(
        self, account_id: str, channel: str, code: str
    ) -> dict[str, Any]:
        """Prove the e-mail or the phone with the code received."""
        return CandidateAccounts(self.app).verify(UUID(account_id), channel, code)

    @rpc
    def candidate_sign_in(self, email: str, password: str) -> dict[str, Any]:
        """A candidate's session (its token opens candidates' routes only)."""
        return CandidateAccounts(self.app).sign_in(email, password)

    @consume("candidates", contracts.CandidateCreated)
    def on_candidate_created(self, event: Delivered) -> None:
        """A new file for an account's address joins it, awaiting confirmation."""
        CandidateAccounts(self.app).on_file_created(event)

    @consume("candidates", contracts.CandidateErased)
    def on_candidate_erased(self, event: Delivered) -> None:
        """An erased file leaves the candidate's account; the last closes it."""
        CandidateAccounts(self.app).on_file_erased(event)

    @rpc
    def candidate_account(self, account_id: str) -> dict[str, Any]:
        """The candidate's account: contact, what is proved, their files."""
        return CandidateAccounts(self.app).account(UUID(account_id))

    @rpc
    def report_failed_sign_ins(self, email: str, attempts: int, since: str) -> None:
        """Many wrong passwords for an address: its owner is told, once per
        window (nothing for an address no account has)."""
        self.app.report_failed_sign_ins(
            email, int(attempts), datetime.fromisoformat(since)
        )

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
