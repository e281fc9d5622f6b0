"""The identity service's RPC entrypoints for digital identities and
back-office agents (ID-7), mixed into IdentityService: thin, as the rest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.common.rpc import rpc
from services.common.timers import setting_timer
from services.identity.agent_desk import AgentDesk
from services.identity.agents import MissingRole
from services.identity.deadlines import sweep_overdue
from services.identity.digital_identities import DigitalIdentities, IdentityNotFound
from services.identity.errors import IdentityError, IdentityLocked

IDENTITY_ERRORS = {
    IdentityLocked: (423, "identite_verrouillee"),
    IdentityError: (409, "etape_impossible"),
    IdentityNotFound: (404, "demande_introuvable"),
    MissingRole: (403, "role_requis"),
}


class DigitalIdentityRpc:
    """Candidates' digital identities and agents' decisions."""

    app: Any

    @rpc
    def digital_identity(self, account_id: str) -> dict[str, Any]:
        """The candidate's request, its state and the carrier's slots."""
        return DigitalIdentities(self.app).view(UUID(account_id))

    @rpc
    def request_digital_identity(self, account_id: str, data: Any) -> dict[str, Any]:
        """Enter the identity data and document (adults, valid document)."""
        return DigitalIdentities(self.app).request(UUID(account_id), data)

    @rpc
    def choose_identity_check(
        self, account_id: str, mode: str, slot: str | None = None
    ) -> dict[str, Any]:
        """At the post office (a code valid 15 days), by the mail carrier, or
        online (a registered e-letter explains how)."""
        identities = DigitalIdentities(self.app)
        if mode == "facteur":
            return identities.choose_carrier(UUID(account_id), slot)
        if mode == "en_ligne":
            return identities.choose_online(UUID(account_id))
        return identities.choose_post_office(UUID(account_id))

    @rpc
    def submit_identity_online(self, account_id: str, files: Any) -> dict[str, Any]:
        """The document's photos and the video, for an agent's review."""
        return DigitalIdentities(self.app).submit_online(UUID(account_id), files)

    @rpc
    def activate_digital_identity(
        self, account_id: str, code: Any, secret: Any
    ) -> dict[str, Any]:
        """The activation code received, and the chosen 4-digit secret code."""
        return DigitalIdentities(self.app).activate(UUID(account_id), code, secret)

    @rpc
    def strong_sign_in(self, phone: Any, secret: Any) -> dict[str, Any]:
        """Phone number and secret code: a candidate's session."""
        return DigitalIdentities(self.app).strong_sign_in(phone, secret)

    # -- agents ------------------------------------------------------------------

    @rpc
    def create_agent(self, email: str, password: str, roles: Any) -> dict[str, Any]:
        """A back-office agent's account (operators' tools)."""
        return AgentDesk(self.app).create_agent(email, password, roles)

    @rpc
    def agent_sign_in(self, email: str, password: str) -> dict[str, Any]:
        """An agent's session (its token opens agents' routes only)."""
        return AgentDesk(self.app).sign_in(email, password)

    @rpc
    def agent_find_request(self, agent_id: str, number: Any) -> dict[str, Any]:
        return AgentDesk(self.app).find_at_counter(UUID(agent_id), number)

    @rpc
    def agent_check_at_counter(
        self, agent_id: str, identity_id: str, code: Any
    ) -> dict[str, Any]:
        return AgentDesk(self.app).check_at_counter(
            UUID(agent_id), UUID(identity_id), code
        )

    @rpc
    def agent_confirm_visit(self, agent_id: str, identity_id: str) -> dict[str, Any]:
        return AgentDesk(self.app).confirm_visit(UUID(agent_id), UUID(identity_id))

    @rpc
    def agent_review_queue(self, agent_id: str) -> dict[str, Any]:
        """The online requests awaiting review, the most urgent first."""
        return AgentDesk(self.app).review_queue(UUID(agent_id))

    @rpc
    def agent_review_files(self, agent_id: str, identity_id: str) -> dict[str, Any]:
        return AgentDesk(self.app).review_files(UUID(agent_id), UUID(identity_id))

    @rpc
    def agent_review(
        self, agent_id: str, identity_id: str, accepted: bool, reason: Any = None
    ) -> dict[str, Any]:
        return AgentDesk(self.app).review(
            UUID(agent_id), UUID(identity_id), bool(accepted), reason
        )

    @rpc
    def agent_refuse(
        self, agent_id: str, identity_id: str, reason: Any
    ) -> dict[str, Any]:
        return AgentDesk(self.app).refuse(UUID(agent_id), UUID(identity_id), reason)

    @setting_timer("identity_deadline_sweep_seconds")
    def end_overdue_identities(self) -> None:
        """End the requests left past their deadline: their users are told."""
        sweep_overdue(self.app)
