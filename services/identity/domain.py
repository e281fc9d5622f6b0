"""Accounts of the platform's users: sign-up, activation, sign-in, passwords.

Pure: hashes, nonces and the current time come in from the application. A link
(activation, password reset) is valid while its nonce is the account's current
one and its deadline has not passed; using it clears the nonce (single use).

The contact's own data (e-mail, civility, names, phone, postal address) never
enters an event in clear: the application seals it with the account's key
(services/common/personal.py) and the events carry the sealed blob, whole, as
it stands after each change. The company's name and SIRET are a legal
person's, not personal data: they stay in clear. Events stored before sealing
carry the contact's data in clear; they still load (the `legacy_contact` of
such an account), and the account's first write since seals it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from services.identity.errors import AlreadyActive, LinkExpired, LinkInvalid

SCHOOL = "auto-ecole"
# Why a reset link was sent without being asked for: someone signed up with
# the address of an account that exists.
SIGNED_UP_AGAIN = "inscription"
ACTIVATION_VALIDITY = timedelta(hours=48)
RESET_VALIDITY = timedelta(hours=2)
# The contact's, sealed; the company's, in clear.
CONTACT_FIELDS = ("civility", "last_name", "first_name", "phone")
COMPANY_FIELDS = ("company_name", "siret")
PROFILE_FIELDS = (*CONTACT_FIELDS, *COMPANY_FIELDS)


class SignInOutcome(Enum):
    SIGNED_IN = "signed_in"
    BAD_CREDENTIALS = "bad_credentials"
    NOT_ACTIVE = "not_active"


class EmailClaim(Aggregate):
    """Makes an e-mail address unique: its id derives from a keyed hash of the
    address (the application's), so a second account with the same address
    fails to save, and the store holds neither the address nor an id that a
    list of addresses would find. Claims made before kept the address, and an
    id derived from it alone: `legacy_id` still finds them."""

    @staticmethod
    def create_id(digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-account-email-digest:{digest}")

    @staticmethod
    def legacy_id(email: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-account-email:{email}")

    class Claimed(Aggregate.Created):
        digest: str
        account_id: UUID

    @event(Claimed)
    def __init__(self, account_id: UUID, digest: str | None = None) -> None:
        # Claims of before also carry `email`: read, never kept.
        self.account_id = account_id


class Account(Aggregate):
    """One person's account; for a school, its tenant on the platform."""

    # The contact's data, sealed (None: stored before sealing, see
    # `legacy_contact`). A class default: snapshots of before lack it.
    personal: str | None = None
    # The start of the last window of failed sign-ins its owner was told of.
    failures_reported_since: datetime | None = None

    @staticmethod
    def create_id(account_id: UUID | None = None) -> UUID:
        # Chosen by the application, which seals the contact's data with the
        # account's own key before the account exists.
        return account_id if account_id is not None else uuid4()

    class Registered(Aggregate.Created):
        kind: str
        password_hash: str
        # The company's fields (before sealing: the contact's too).
        profile: dict[str, Any]
        activation_nonce: str
        activation_expires_at: datetime
        account_id: UUID | None = None
        personal: str | None = None
        # Before sealing only: the contact's address and e-mail in clear.
        email: str | None = None
        address: dict[str, str] | None = None

    @event(Registered)
    def __init__(
        self,
        kind: str,
        password_hash: str,
        profile: dict[str, Any],
        activation_nonce: str,
        activation_expires_at: datetime,
        account_id: UUID | None = None,
        personal: str | None = None,
        email: str | None = None,
        address: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.password_hash = password_hash
        self.profile = dict(profile)
        self.email = email
        self.address = dict(address or {})
        if personal is not None:
            self._take_sealed(personal)
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
        account_id: UUID,
        kind: str,
        password_hash: str,
        company: dict[str, Any],
        personal: str,
        nonce: str,
        at: datetime,
    ) -> Account:
        """A new account: `personal` is the contact's data, sealed."""
        return cls(
            account_id=account_id,
            kind=kind,
            password_hash=password_hash,
            profile={k: v for k, v in company.items() if k in COMPANY_FIELDS},
            personal=personal,
            activation_nonce=nonce,
            activation_expires_at=at + ACTIVATION_VALIDITY,
        )

    # -- the contact's data ------------------------------------------------------

    def legacy_contact(self) -> dict[str, Any]:
        """The contact's data as events stored before sealing gave it, in clear
        ({} once sealed)."""
        if self.personal is not None:
            return {}
        contact = {k: self.profile[k] for k in CONTACT_FIELDS if k in self.profile}
        return {"email": self.email, **contact, "address": dict(self.address)}

    class PersonalDataSealed(Aggregate.Event):
        personal: str

    def seal_personal_data(self, personal: str) -> None:
        """An account stored before sealing: from now on, its contact's data
        (`legacy_contact`, sealed by the application) is kept sealed."""
        if self.personal is None:
            self._personal_data_sealed(personal=personal)

    @event(PersonalDataSealed)
    def _personal_data_sealed(self, personal: str) -> None:
        self._take_sealed(personal)

    def _take_sealed(self, personal: str) -> None:
        # What was in clear is in the blob now: the state (and its snapshots)
        # keeps it sealed only.
        self.personal = personal
        self.email = None
        self.address = {}
        for name in CONTACT_FIELDS:
            self.profile.pop(name, None)

    # -- activation ------------------------------------------------------------

    class ActivationLinkReissued(Aggregate.Event):
        nonce: str
        expires_at: datetime
        # For the relay: the address to write to, sealed (before sealing: an
        # `email` in clear).
        personal: str | None = None

    def reissue_activation_link(self, nonce: str, at: datetime) -> None:
        if self.active:
            raise AlreadyActive("Ce compte est déjà activé.")
        self._activation_link_reissued(
            nonce=nonce, expires_at=at + ACTIVATION_VALIDITY, personal=self.personal
        )

    @event(ActivationLinkReissued)
    def _activation_link_reissued(
        self, nonce: str, expires_at: datetime, personal: str | None = None
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
        # Kept to recognise the link used: only its holder is told the account
        # is active already; any other token is just « pas valide ».
        self.used_activation_nonce = self.activation_nonce
        self.activation_nonce = None

    # -- signing in ------------------------------------------------------------

    def sign_in(self, password_ok: bool, at: datetime) -> SignInOutcome:
        """Say how one sign-in attempt ended. Nothing is written: failures no
        longer lock the account (anyone knowing its address could lock it
        out); the gateway slows failures per address and account instead
        (gateway/limits.py), and an account's history does not grow with
        every attempt."""
        if not password_ok:
            return SignInOutcome.BAD_CREDENTIALS
        if not self.active:
            return SignInOutcome.NOT_ACTIVE
        if self.failures or self.locked_until is not None:
            self._signed_in(signed_in_at=at)  # clears a lock of before
        return SignInOutcome.SIGNED_IN

    class FailedSignInsReported(Aggregate.Event):
        """Many wrong passwords since `since` (counted by the gateway, from
        any address): the owner is told by e-mail (issue 12)."""

        attempts: int
        since: datetime
        reported_at: datetime
        # The contact's sealed data, for the relay (as a reset link's).
        personal: str | None = None

    def report_failed_sign_ins(
        self, attempts: int, since: datetime, at: datetime
    ) -> None:
        """Once per window: told twice (a retry, another gateway), once."""
        reported = self.failures_reported_since
        if self.active and (reported is None or since > reported):
            self._failed_sign_ins_reported(
                attempts=attempts, since=since, reported_at=at, personal=self.personal
            )

    @event(FailedSignInsReported)
    def _failed_sign_ins_reported(
        self,
        attempts: int,
        since: datetime,
        reported_at: datetime,
        personal: str | None = None,
    ) -> None:
        self.failures_reported_since = since

    # Failures and locks as accounts recorded them before: replayed, never
    # written any more.
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
        nonce: str
        expires_at: datetime
        # For the relay, as ActivationLinkReissued's.
        personal: str | None = None
        because: str = ""

    def request_password_reset(
        self, nonce: str, at: datetime, because: str = ""
    ) -> None:
        """A reset link; `because` SIGNED_UP_AGAIN when it answers a sign-up
        with this account's address (the e-mail says so)."""
        self._password_reset_requested(
            nonce=nonce,
            expires_at=at + RESET_VALIDITY,
            personal=self.personal,
            because=because,
        )

    @event(PasswordResetRequested)
    def _password_reset_requested(
        self,
        nonce: str,
        expires_at: datetime,
        personal: str | None = None,
        because: str = "",
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
        # The company's fields that changed (before sealing: the contact's too).
        changes: dict[str, Any]
        # The contact's data after the change, sealed; None if it did not change.
        personal: str | None = None

    def update_profile(self, changes: dict[str, Any], personal: str | None) -> bool:
        """Apply the company's fields that really change and the contact's new
        data, sealed (None: unchanged); return whether anything did."""
        real = {
            k: v
            for k, v in changes.items()
            if k in COMPANY_FIELDS and self.profile.get(k) != v
        }
        if real or personal is not None:
            self._profile_updated(changes=real, personal=personal)
        return bool(real) or personal is not None

    @event(ProfileUpdated)
    def _profile_updated(
        self, changes: dict[str, Any], personal: str | None = None
    ) -> None:
        self.profile.update(changes)
        if personal is not None:
            self._take_sealed(personal)


def contact_changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The contact's fields of `wanted` that differ from `current`."""
    return {
        k: v for k, v in wanted.items() if k in CONTACT_FIELDS and current.get(k) != v
    }


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
