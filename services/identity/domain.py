"""Accounts of the platform's users: sign-up, activation, sign-in, passwords.

Pure: hashes, nonces and the current time come in from the application. A link
(activation, password reset) is valid while its nonce is the account's current
one and its deadline has not passed; using it clears the nonce (single use).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

SCHOOL = "auto-ecole"
ACTIVATION_VALIDITY = timedelta(hours=48)
RESET_VALIDITY = timedelta(hours=2)
FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
PROFILE_FIELDS = (
    "civility",
    "last_name",
    "first_name",
    "phone",
    "company_name",
    "siret",
)


class AccountError(ValueError):
    """Base of what an account refuses."""


class LinkInvalid(AccountError):
    """The link is unknown, was already used, or a newer one was sent."""


class LinkExpired(AccountError):
    """The link's deadline has passed."""


class AlreadyActive(AccountError):
    """The account was activated already."""


class SignInOutcome(Enum):
    SIGNED_IN = "signed_in"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    NOT_ACTIVE = "not_active"


class EmailClaim(Aggregate):
    """Makes an e-mail address unique: its id derives from the address, so a
    second account with the same address fails to save."""

    @staticmethod
    def create_id(email: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-account-email:{email}")

    class Claimed(Aggregate.Created):
        email: str
        account_id: UUID

    @event(Claimed)
    def __init__(self, email: str, account_id: UUID) -> None:
        self.email = email
        self.account_id = account_id


class Account(Aggregate):
    """One person's account; for a school, its tenant on the platform."""

    class Registered(Aggregate.Created):
        kind: str
        email: str
        password_hash: str
        profile: dict[str, Any]
        address: dict[str, str]
        activation_nonce: str
        activation_expires_at: datetime

    @event(Registered)
    def __init__(
        self,
        kind: str,
        email: str,
        password_hash: str,
        profile: dict[str, Any],
        address: dict[str, str],
        activation_nonce: str,
        activation_expires_at: datetime,
    ) -> None:
        self.kind = kind
        self.email = email
        self.password_hash = password_hash
        self.profile = dict(profile)
        self.address = dict(address)
        self.activation_nonce: str | None = activation_nonce
        self.activation_expires_at = activation_expires_at
        self.active = False
        self.failures = 0
        self.locked_until: datetime | None = None
        self.reset_nonce: str | None = None
        self.reset_expires_at: datetime | None = None
        # Every bearer token carries the generation it was issued in; a new
        # password starts a new generation, which ends every older session.
        self.session_generation = 0

    @classmethod
    def register(
        cls,
        kind: str,
        email: str,
        password_hash: str,
        profile: dict[str, Any],
        address: dict[str, str],
        nonce: str,
        at: datetime,
    ) -> Account:
        return cls(
            kind=kind,
            email=email,
            password_hash=password_hash,
            profile=profile,
            address=address,
            activation_nonce=nonce,
            activation_expires_at=at + ACTIVATION_VALIDITY,
        )

    # -- activation ------------------------------------------------------------

    class ActivationLinkReissued(Aggregate.Event):
        email: str
        nonce: str
        expires_at: datetime

    def reissue_activation_link(self, nonce: str, at: datetime) -> None:
        if self.active:
            raise AlreadyActive("Ce compte est déjà activé.")
        self._activation_link_reissued(
            email=self.email, nonce=nonce, expires_at=at + ACTIVATION_VALIDITY
        )

    @event(ActivationLinkReissued)
    def _activation_link_reissued(
        self, email: str, nonce: str, expires_at: datetime
    ) -> None:
        self.activation_nonce = nonce
        self.activation_expires_at = expires_at

    class Activated(Aggregate.Event):
        activated_at: datetime

    def activate(self, nonce: str, at: datetime) -> None:
        if self.active:
            raise AlreadyActive("Ce compte est déjà activé.")
        if self.activation_nonce is None or nonce != self.activation_nonce:
            raise LinkInvalid("Ce lien d'activation n'est pas valide.")
        if at > self.activation_expires_at:
            raise LinkExpired("Ce lien d'activation a expiré.")
        self._activated(activated_at=at)

    @event(Activated)
    def _activated(self, activated_at: datetime) -> None:
        self.active = True
        self.activation_nonce = None

    # -- signing in ------------------------------------------------------------

    def is_locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def sign_in(self, password_ok: bool, at: datetime) -> SignInOutcome:
        """Record one sign-in attempt and say how it ended."""
        if self.is_locked(at):
            return SignInOutcome.LOCKED
        if not password_ok:
            self._sign_in_failed(failed_at=at)
            if self.failures >= FAILURES_BEFORE_LOCK:
                self._locked(until=at + LOCK_DURATION)
            return SignInOutcome.BAD_CREDENTIALS
        if not self.active:
            return SignInOutcome.NOT_ACTIVE
        # Nothing to reset, nothing written: an account's history does not grow
        # with every sign-in, and a sign-in takes no write lock.
        if self.failures or self.locked_until is not None:
            self._signed_in(signed_in_at=at)
        return SignInOutcome.SIGNED_IN

    class SignInFailed(Aggregate.Event):
        failed_at: datetime

    @event(SignInFailed)
    def _sign_in_failed(self, failed_at: datetime) -> None:
        if self.locked_until is not None and failed_at >= self.locked_until:
            self.failures = 0  # a lock that has ended starts a new count
            self.locked_until = None
        self.failures += 1

    class Locked(Aggregate.Event):
        until: datetime

    @event(Locked)
    def _locked(self, until: datetime) -> None:
        self.locked_until = until

    class SignedIn(Aggregate.Event):
        signed_in_at: datetime

    @event(SignedIn)
    def _signed_in(self, signed_in_at: datetime) -> None:
        self.failures = 0
        self.locked_until = None

    # -- passwords ---------------------------------------------------------------

    class PasswordResetRequested(Aggregate.Event):
        email: str
        nonce: str
        expires_at: datetime

    def request_password_reset(self, nonce: str, at: datetime) -> None:
        self._password_reset_requested(
            email=self.email, nonce=nonce, expires_at=at + RESET_VALIDITY
        )

    @event(PasswordResetRequested)
    def _password_reset_requested(
        self, email: str, nonce: str, expires_at: datetime
    ) -> None:
        self.reset_nonce = nonce
        self.reset_expires_at = expires_at

    class PasswordReset(Aggregate.Event):
        password_hash: str
        reset_at: datetime
        generation: int

    def reset_password(self, nonce: str, password_hash: str, at: datetime) -> None:
        if self.reset_nonce is None or nonce != self.reset_nonce:
            raise LinkInvalid("Ce lien de réinitialisation n'est pas valide.")
        if self.reset_expires_at is None or at > self.reset_expires_at:
            raise LinkExpired("Ce lien de réinitialisation a expiré.")
        if not self.active:
            # Following a link sent to the address proves it, as activation does.
            self._activated(activated_at=at)
        self._password_reset(
            password_hash=password_hash,
            reset_at=at,
            generation=self.session_generation + 1,
        )

    @event(PasswordReset)
    def _password_reset(
        self, password_hash: str, reset_at: datetime, generation: int | None = None
    ) -> None:
        self.password_hash = password_hash
        self.reset_nonce = None
        self.failures = 0
        self.locked_until = None
        self.session_generation = _next(self.session_generation, generation)

    class PasswordChanged(Aggregate.Event):
        password_hash: str
        # The session generation it starts and when (absent from events
        # stored before revocations were published).
        generation: int
        changed_at: datetime

    def change_password(self, password_hash: str, at: datetime) -> None:
        self._password_changed(
            password_hash=password_hash,
            generation=self.session_generation + 1,
            changed_at=at,
        )

    @event(PasswordChanged)
    def _password_changed(
        self,
        password_hash: str,
        generation: int | None = None,
        changed_at: datetime | None = None,
    ) -> None:
        self.password_hash = password_hash
        self.session_generation = _next(self.session_generation, generation)

    # -- profile -------------------------------------------------------------------

    class ProfileUpdated(Aggregate.Event):
        changes: dict[str, Any]

    def update_profile(self, changes: dict[str, Any]) -> bool:
        """Apply the fields that really change; return whether any did."""
        real = {
            k: v
            for k, v in changes.items()
            if k in PROFILE_FIELDS and self.profile.get(k) != v
        }
        if real:
            self._profile_updated(changes=real)
        return bool(real)

    @event(ProfileUpdated)
    def _profile_updated(self, changes: dict[str, Any]) -> None:
        self.profile.update(changes)


def _next(current: int, stored: int | None) -> int:
    """The generation a new password starts: as stored, or (events stored
    before it was) the next one."""
    return current + 1 if stored is None else stored


class EndedSession(Aggregate):
    """A session its holder ended (signed out): its token is refused until it
    would have expired. Its id is the session's, so ending it twice writes
    once, and the account's own history does not grow with sign-outs."""

    class Ended(Aggregate.Created):
        session_id: str
        account_id: UUID
        expires_at: datetime
        ended_at: datetime

    @staticmethod
    def create_id(session_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-session:{session_id}")

    @event(Ended)
    def __init__(
        self,
        session_id: str,
        account_id: UUID,
        expires_at: datetime,
        ended_at: datetime,
    ) -> None:
        self.session_id = session_id
        self.account_id = account_id
        self.expires_at = expires_at
        self.ended_at = ended_at
