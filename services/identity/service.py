"""The identity nameko service: thin RPC entrypoints over IdentityApplication."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.common.dependencies import ApplicationProvider, service_health
from services.common.idempotency import IdempotencyConflict
from services.common.rpc import rpc, school_rpc
from services.identity.application import (
    AccountNotActive,
    AccountNotFound,
    BadCredentials,
    IdentityApplication,
    InvalidFields,
    NotAuthenticated,
    RevocationsBehind,
)
from services.identity.domain import AlreadyActive, LinkExpired, LinkInvalid
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
}


class IdentityService:
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
