"""A candidate's digital identity (ID-7, La Poste's Identité Numérique in seeds
001–003), as a state machine of events:

    demandée ─(mode chosen)→ en vérification ─(check)→ vérifiée ─(code)→ active
    demandée ─(online chosen)→ en attente des fichiers ─(files)→ en vérification
    en vérification ─(refused, deadline missed)→ terminée
    en attente des fichiers ─(deadline missed)→ terminée
    active ─(5 wrong secret codes)→ verrouillée

Pure: times, nonces and hashes come in. The identity data and the document
are sealed with the candidate account's key (its id is the subject), so that
erasing the account forgets them. Codes are derived from nonces kept in the
events (services/common/links.py), never stored themselves. Every agent's
decision names the agent who took it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.identity.errors import IdentityError, IdentityLocked
from services.identity.identity_texts import (
    CARRIER_MISSED,
    NOT_NOW,
    ONLINE_FILES_MISSED,
    ONLINE_MISSED,
    POST_OFFICE_MISSED,
)

POST_OFFICE = "bureau_de_poste"
MAIL_CARRIER = "facteur"
ONLINE = "en_ligne"
MODES = (POST_OFFICE, MAIL_CARRIER, ONLINE)

REQUESTED = "demandee"
FILES_AWAITED = "en_attente_fichiers"  # online: the registered e-letter sent
CHECKING = "en_verification"
VERIFIED = "verifiee"
ACTIVE = "active"
LOCKED = "verrouillee"
ENDED = "terminee"

POST_OFFICE_VALIDITY = timedelta(days=15)
# The registered e-letter waits 15 days for its recipient; so do the files.
ONLINE_FILES_VALIDITY = timedelta(days=15)
ACTIVATION_VALIDITY = timedelta(days=7)
CODE_TRIES = 5
SECRET_TRIES = 5


class DigitalIdentity(Aggregate):
    """One per candidate account; a new request may follow an ended one."""

    @staticmethod
    def create_id(account_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-digital-identity:{account_id}")

    class Requested(Aggregate.Created):
        account_id: UUID
        personal: str  # identity data and document, sealed with the account's key
        document_digest: str
        requested_at: datetime

    @event(Requested)
    def __init__(
        self,
        account_id: UUID,
        personal: str,
        document_digest: str,
        requested_at: datetime,
    ) -> None:
        self._start(account_id, personal, document_digest, requested_at)

    def _start(
        self, account_id: UUID, personal: str, document_digest: str, at: datetime
    ) -> None:
        self.account_id = account_id
        self.personal = personal
        self.document_digest = document_digest
        self.requested_at = at
        self.status = REQUESTED
        self.mode: str | None = None
        self.deadline: datetime | None = None
        self.nonce: str | None = None
        self.failures = 0
        self.slot: str | None = None
        self.uploads: list[str] = []
        self.reason: str | None = None
        self.decided_by: UUID | None = None
        self.secret_hash: str | None = None
        self.request_number = getattr(self, "request_number", 0) + 1

    # -- a new request after an ended one ----------------------------------------

    class Renewed(Aggregate.Event):
        personal: str
        document_digest: str
        requested_at: datetime

    def renew(self, personal: str, document_digest: str, at: datetime) -> None:
        if self.status not in (ENDED, LOCKED):
            raise IdentityError(
                "Une demande d'Identité Numérique est déjà en cours ou active."
            )
        self._renewed(
            personal=personal, document_digest=document_digest, requested_at=at
        )

    @event(Renewed)
    def _renewed(
        self, personal: str, document_digest: str, requested_at: datetime
    ) -> None:
        self._start(self.account_id, personal, document_digest, requested_at)

    # -- the verification mode -----------------------------------------------------

    class PostOfficeChosen(Aggregate.Event):
        account_id: UUID  # whose key seals `personal`
        nonce: str
        deadline: datetime
        personal: str  # for the relay: the code goes to the user

    class CarrierChosen(Aggregate.Event):
        slot: str  # the day, ISO (dates are stored as text)
        deadline: datetime

    class OnlineChosen(Aggregate.Event):
        account_id: UUID  # whose key seals `personal`
        nonce: str  # the video's 3 digits derive from it
        deadline: datetime
        personal: str  # for the relay: the registered e-letter goes to the user

    class OnlineSubmitted(Aggregate.Event):
        uploads: list[str]
        deadline: datetime

    def choose_post_office(self, nonce: str, at: datetime, contact: str) -> None:
        self._must_be(REQUESTED)
        self._post_office(
            account_id=self.account_id,
            nonce=nonce,
            deadline=at + POST_OFFICE_VALIDITY,
            personal=contact,
        )

    @event(PostOfficeChosen)
    def _post_office(
        self, account_id: UUID, nonce: str, deadline: datetime, personal: str
    ) -> None:
        self._checking(POST_OFFICE, deadline)
        self.nonce = nonce

    def choose_carrier(self, slot: date, deadline: datetime) -> None:
        self._must_be(REQUESTED)
        self._carrier(slot=slot.isoformat(), deadline=deadline)

    @event(CarrierChosen)
    def _carrier(self, slot: str, deadline: datetime) -> None:
        self._checking(MAIL_CARRIER, deadline)
        self.slot = slot

    def choose_online(self, nonce: str, at: datetime, contact: str) -> None:
        """A registered e-letter explains the procedure; the files follow."""
        self._must_be(REQUESTED)
        self._online_chosen(
            account_id=self.account_id,
            nonce=nonce,
            deadline=at + ONLINE_FILES_VALIDITY,
            personal=contact,
        )

    @event(OnlineChosen)
    def _online_chosen(
        self, account_id: UUID, nonce: str, deadline: datetime, personal: str
    ) -> None:
        self.status = FILES_AWAITED
        self.mode = ONLINE
        self.deadline = deadline
        self.nonce = nonce

    def submit_online(self, uploads: list[str], deadline: datetime) -> None:
        self._must_be(FILES_AWAITED)
        self._online(uploads=uploads, deadline=deadline)

    @event(OnlineSubmitted)
    def _online(self, uploads: list[str], deadline: datetime) -> None:
        self._checking(ONLINE, deadline)
        self.uploads = list(uploads)

    def _checking(self, mode: str, deadline: datetime) -> None:
        self.status = CHECKING
        self.mode = mode
        self.deadline = deadline

    # -- agents' decisions --------------------------------------------------------

    class CodeRefused(Aggregate.Event):
        agent_id: UUID

    class Checked(Aggregate.Event):
        account_id: UUID  # whose key seals `personal`
        agent_id: UUID
        mode: str
        checked_at: datetime
        activation_nonce: str
        activation_expires_at: datetime
        personal: str  # for the relay: the activation code goes to the user

    class Refused(Aggregate.Event):
        account_id: UUID  # whose key seals `personal`
        agent_id: UUID | None
        reason: str
        ended_at: datetime
        personal: str  # for the relay: the user is told why

    def check(
        self,
        agent_id: UUID,
        mode: str,
        at: datetime,
        activation_nonce: str,
        contact: str,
        code_ok: bool = True,
    ) -> None:
        """An agent confirms the identity (at the counter with the code the
        user brings; the carrier at home; the reviewer online)."""
        self._must_be(CHECKING)
        if mode != self.mode:
            raise IdentityError("Cette demande n'a pas choisi ce mode de vérification.")
        if mode == POST_OFFICE:
            if self.failures >= CODE_TRIES:
                raise IdentityError(
                    "Trop de codes erronés : la personne doit faire "
                    "une nouvelle demande."
                )
            if not code_ok:
                self._code_refused(agent_id=agent_id)
                raise IdentityError(
                    "Le code présenté n'est pas celui de cette demande."
                )
        self._checked(
            account_id=self.account_id,
            agent_id=agent_id,
            mode=mode,
            checked_at=at,
            activation_nonce=activation_nonce,
            activation_expires_at=at + ACTIVATION_VALIDITY,
            personal=contact,
        )

    @event(CodeRefused)
    def _code_refused(self, agent_id: UUID) -> None:
        self.failures += 1

    @event(Checked)
    def _checked(
        self,
        account_id: UUID,
        agent_id: UUID,
        mode: str,
        checked_at: datetime,
        activation_nonce: str,
        activation_expires_at: datetime,
        personal: str,
    ) -> None:
        self.status = VERIFIED
        self.decided_by = agent_id
        self.nonce = activation_nonce
        self.deadline = activation_expires_at
        self.failures = 0

    def refuse(
        self, agent_id: UUID | None, reason: str, at: datetime, contact: str
    ) -> None:
        """An agent refuses the check, or a deadline passed (no agent)."""
        if agent_id is not None or self.status != FILES_AWAITED:
            self._must_be(CHECKING)
        self._refused(
            account_id=self.account_id,
            agent_id=agent_id,
            reason=reason,
            ended_at=at,
            personal=contact,
        )

    @event(Refused)
    def _refused(
        self,
        account_id: UUID,
        agent_id: UUID | None,
        reason: str,
        ended_at: datetime,
        personal: str,
    ) -> None:
        self.status = ENDED
        self.reason = reason
        self.decided_by = agent_id

    def missed_deadline(self, at: datetime) -> str | None:
        """The reason to end this request, once its deadline has passed."""
        waiting = self.status in (CHECKING, FILES_AWAITED)
        if not waiting or self.deadline is None or at <= self.deadline:
            return None
        if self.status == FILES_AWAITED:
            return ONLINE_FILES_MISSED
        return {POST_OFFICE: POST_OFFICE_MISSED, ONLINE: ONLINE_MISSED}.get(
            self.mode or "", CARRIER_MISSED
        )

    # -- activation and strong sign-in ---------------------------------------------

    class ActivationFailed(Aggregate.Event):
        pass

    class Activated(Aggregate.Event):
        secret_hash: str
        activated_at: datetime

    def activate(self, code_ok: bool, secret_hash: str, at: datetime) -> None:
        """The activation code received; the 4-digit secret code chosen."""
        self._must_be(VERIFIED)
        if (self.deadline and at > self.deadline) or self.failures >= CODE_TRIES:
            raise IdentityError(
                "Ce code d'activation n'est plus valable : faites une nouvelle demande."
            )
        if not code_ok:
            self._activation_failed()
            raise IdentityError("Ce code d'activation est incorrect.")
        self._activated(secret_hash=secret_hash, activated_at=at)

    @event(ActivationFailed)
    def _activation_failed(self) -> None:
        self.failures += 1

    @event(Activated)
    def _activated(self, secret_hash: str, activated_at: datetime) -> None:
        self.status = ACTIVE
        self.secret_hash = secret_hash
        self.failures = 0
        self.deadline = None

    class SecretFailed(Aggregate.Event):
        pass

    class SecretAccepted(Aggregate.Event):
        pass

    class Locked(Aggregate.Event):
        account_id: UUID  # whose key seals `personal`
        locked_at: datetime
        personal: str  # for the relay: the owner is told

    def try_secret(self, secret_ok: bool, at: datetime, contact: str) -> None:
        """One strong sign-in; the fifth wrong secret code in a row locks."""
        if self.status == LOCKED:
            raise IdentityLocked()
        self._must_be(ACTIVE)
        if secret_ok:
            if self.failures:
                self._secret_accepted()
            return
        if self.failures + 1 >= SECRET_TRIES:
            self._locked(account_id=self.account_id, locked_at=at, personal=contact)
            raise IdentityLocked()
        self._secret_failed()
        left = SECRET_TRIES - self.failures
        raise IdentityError(f"Code secret incorrect. Il vous reste {left} essai(s).")

    @event(SecretFailed)
    def _secret_failed(self) -> None:
        self.failures += 1

    @event(SecretAccepted)
    def _secret_accepted(self) -> None:
        self.failures = 0

    @event(Locked)
    def _locked(self, account_id: UUID, locked_at: datetime, personal: str) -> None:
        self.status = LOCKED
        self.failures = SECRET_TRIES

    def _must_be(self, status: str) -> None:
        if self.status != status:
            raise IdentityError(
                NOT_NOW.get(self.status, "Cette étape n'est pas possible.")
            )
