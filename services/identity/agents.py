"""Back-office agents (ID-7): La Poste's counter agents, online reviewers and
the mail carriers' confirmation desk. Their accounts are neither schools' nor
candidates': their tokens carry their own kind, and each role opens its own
decisions only (every decision is recorded with the agent who took it)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.identity.errors import AccountError

COUNTER = "guichet"
ONLINE_REVIEW = "revue_en_ligne"
CARRIER = "facteur"
ROLES = (COUNTER, ONLINE_REVIEW, CARRIER)


class MissingRole(AccountError):
    """The agent's account lacks the role this decision needs."""

    def __init__(self) -> None:
        super().__init__(
            "Votre compte d'agent n'a pas le rôle requis pour cette action."
        )


class Agent(Aggregate):
    """An agent's account: one per e-mail address (its keyed digest)."""

    @staticmethod
    def create_id(digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-back-office-agent:{digest}")

    class Created(Aggregate.Created):
        digest: str
        password_hash: str
        roles: list[str]
        personal: str  # the agent's e-mail, sealed
        created_at: datetime

    @event(Created)
    def __init__(
        self,
        digest: str,
        password_hash: str,
        roles: list[str],
        personal: str,
        created_at: datetime,
    ) -> None:
        self.password_hash = password_hash
        self.roles = list(roles)
        self.personal = personal
        self.session_generation = 0

    def require(self, role: str) -> None:
        if role not in self.roles:
            raise MissingRole()
