"""Back-office agents' accounts and decisions on digital identities (ID-7):
the counter agent checks the document and the code the user brings, the mail
carrier's confirmation closes a visit at home, the online reviewer accepts or
refuses the photos and video. Each decision is an event naming its agent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common.sessions import AGENT
from services.identity import rules
from services.identity.agents import CARRIER, COUNTER, ONLINE_REVIEW, ROLES, Agent
from services.identity.application import IdentityApplication
from services.identity.checks_under_way import ChecksUnderWay
from services.identity.digital_identities import DigitalIdentities
from services.identity.digital_identity import (
    MAIL_CARRIER,
    ONLINE,
    POST_OFFICE,
    DigitalIdentity,
)
from services.identity.errors import (
    AccountNotFound,
    BadCredentials,
    IdentityError,
    InvalidFields,
)
from services.identity.identity_uploads import IdentityUpload
from services.identity.secrets import new_nonce

MAX_REASON = 300
# The reviewer's queue: at most this many requests at a time, and how long
# it waits for the read model to show requests submitted just before.
QUEUE_LIMIT = 100
QUEUE_CATCH_UP_SECONDS = 2.0


class AgentDesk:
    """What agents do, each within their roles."""

    def __init__(self, app: IdentityApplication) -> None:
        self.app = app
        self.identities = DigitalIdentities(app)

    def create_agent(self, email: str, password: str, roles: Any) -> dict[str, Any]:
        """An agent's account (from the operators' tools, not the web)."""
        problems: dict[str, list[str]] = {}
        if found := rules.password_problems(password):
            problems["password"] = found
        if not isinstance(roles, list) or not roles or set(roles) - set(ROLES):
            problems["roles"] = [f"Rôles possibles : {', '.join(ROLES)}."]
        if problems:
            raise InvalidFields(problems)
        email = rules.normalise_email(email)
        digest = self.app.email_digest(f"agent:{email}")
        agent_id = Agent.create_id(digest)
        agent = Agent(
            digest=digest,
            password_hash=self.app.passwords.hash(password),
            roles=sorted(set(roles)),
            personal=self.app.vault.seal(agent_id, {"email": email}),
            created_at=self.app.clock.now(),
        )
        try:
            self.app.save(agent)
        except IntegrityError:
            raise InvalidFields({"email": ["Cet agent existe déjà."]}) from None
        return {"agent_id": str(agent.id), "roles": agent.roles}

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        digest = self.app.email_digest(f"agent:{rules.normalise_email(email)}")
        try:
            agent = self.app.repository.get(Agent.create_id(digest))
        except AggregateNotFoundError:
            self.app.passwords.waste_time(password)
            raise BadCredentials() from None
        if not self.app.passwords.verify(agent.password_hash, password):
            raise BadCredentials()
        session = self.app.sessions.issue(
            agent.id, agent.session_generation, self.app.clock.now(), kind=AGENT
        )
        return {**session, "agent": {"agent_id": str(agent.id), "roles": agent.roles}}

    # -- decisions -----------------------------------------------------------------

    def find_at_counter(self, agent_id: UUID, number: Any) -> dict[str, Any]:
        """The counter agent finds a request by the number on the document."""
        self._agent(agent_id).require(COUNTER)
        return self._case(self.identities.find_by_document(number))

    def check_at_counter(
        self, agent_id: UUID, identity_id: UUID, code: Any
    ) -> dict[str, Any]:
        """The document was checked; the user's 6-digit code is entered."""
        self._agent(agent_id).require(COUNTER)
        identity = self.identities.current(identity_id)
        code_ok = code == self.identities.post_office_code(identity)
        return self._check(agent_id, identity, POST_OFFICE, code_ok)

    def confirm_visit(self, agent_id: UUID, identity_id: UUID) -> dict[str, Any]:
        """The mail carrier saw the document at the user's home."""
        self._agent(agent_id).require(CARRIER)
        return self._check(agent_id, self.identities.current(identity_id), MAIL_CARRIER)

    def review_queue(self, agent_id: UUID) -> dict[str, Any]:
        """The online requests awaiting review, the nearest deadline first,
        each with the time left (ids and times only: the data opens with
        `review_files`)."""
        self._agent(agent_id).require(ONLINE_REVIEW)
        view = self.app.views["checks_under_way"]
        # A request submitted a moment ago is shown; a view far behind shows
        # what it has rather than nothing.
        view.caught_up(self.app, ChecksUnderWay.topics, QUEUE_CATCH_UP_SECONDS)
        now = self.app.clock.now()
        return {
            "demandes": [
                {
                    "identity_id": str(row["identity_id"]),
                    "mode": row["mode"],
                    "deposee_le": row["submitted_at"].isoformat(),
                    "echeance": row["deadline"].isoformat(),
                    "reste_secondes": int((row["deadline"] - now).total_seconds()),
                    "reste": time_left(row["deadline"], now),
                }
                for row in view.online_queue(now, QUEUE_LIMIT)
            ]
        }

    def review_files(self, agent_id: UUID, identity_id: UUID) -> dict[str, Any]:
        """The reviewer sees the request and its photos and video."""
        self._agent(agent_id).require(ONLINE_REVIEW)
        identity = self.identities.current(identity_id)
        files = []
        for upload_id in identity.uploads:
            upload: IdentityUpload = self.app.repository.get(UUID(upload_id))
            opened = self.app.vault.unseal(identity.account_id, upload.sealed) or {}
            files.append(
                {
                    "part": upload.part,
                    "content_type": upload.content_type,
                    "size": upload.size,
                    "data": opened.get("data"),
                }
            )
        # The digits the letter told the candidate to say: the reviewer hears
        # them in the video, or refuses.
        digits = self.identities.video_digits(identity)
        return {**self._case(identity), "fichiers": files, "chiffres": digits}

    def review(
        self, agent_id: UUID, identity_id: UUID, accepted: bool, reason: Any
    ) -> dict[str, Any]:
        """The reviewer's decision on an online check."""
        self._agent(agent_id).require(ONLINE_REVIEW)
        identity = self.identities.current(identity_id)
        if identity.mode != ONLINE:  # the counter's and the carrier's are theirs
            raise IdentityError("Cette demande n'a pas choisi ce mode de vérification.")
        if accepted:
            return self._check(agent_id, identity, ONLINE)
        return self._refuse(agent_id, identity, reason)

    def refuse(self, agent_id: UUID, identity_id: UUID, reason: Any) -> dict[str, Any]:
        """A counter agent or carrier refuses (a document that does not match)."""
        agent = self._agent(agent_id)
        identity = self.identities.current(identity_id)
        agent.require(COUNTER if identity.mode == POST_OFFICE else CARRIER)
        return self._refuse(agent_id, identity, reason)

    def _check(
        self,
        agent_id: UUID,
        identity: DigitalIdentity,
        mode: str,
        code_ok: bool = True,
    ) -> dict[str, Any]:
        now = self.app.clock.now()
        contact = self.app.repository.get(identity.account_id).personal
        try:
            identity.check(agent_id, mode, now, new_nonce(), contact, code_ok=code_ok)
        finally:
            if identity.pending_events:  # a wrong code counts even when refused
                self.identities.save(identity)
        return self._case(identity)

    def _refuse(
        self, agent_id: UUID, identity: DigitalIdentity, reason: Any
    ) -> dict[str, Any]:
        text = " ".join(reason.split()) if isinstance(reason, str) else ""
        if not text or len(text) > MAX_REASON or not text.isprintable():
            raise InvalidFields(
                {
                    "motif": [
                        f"Indiquez le motif du refus ({MAX_REASON} caractères au plus)."
                    ]
                }
            )
        contact = self.app.repository.get(identity.account_id).personal
        identity.refuse(agent_id, text, self.app.clock.now(), contact)
        self.identities.save(identity)
        return self._case(identity)

    def _agent(self, agent_id: UUID) -> Agent:
        try:
            agent = self.app.repository.get(agent_id)
        except AggregateNotFoundError:
            raise AccountNotFound(agent_id) from None
        if not isinstance(agent, Agent):
            raise AccountNotFound(agent_id)
        return agent

    def _case(self, identity: DigitalIdentity) -> dict[str, Any]:
        """What an agent sees of a request: the data to compare with the
        document, the mode and the state; never the codes."""
        data = self.app.vault.unseal(identity.account_id, identity.personal)
        return {
            "identity_id": str(identity.id),
            "statut": identity.status,
            "mode": identity.mode,
            "creneau": identity.slot,
            "echeance": identity.deadline.isoformat() if identity.deadline else None,
            "motif": identity.reason,
            "donnees": data,
        }


def time_left(deadline: datetime, now: datetime) -> str:
    """What is left before a deadline, as the reviewer reads it."""
    left = max(deadline - now, timedelta(0))
    hours, rest = divmod(int(left.total_seconds()), 3600)
    minutes = rest // 60
    if hours >= 24:
        return f"{hours // 24} j {hours % 24} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"
