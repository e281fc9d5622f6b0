"""Identity: commands and queries of accounts, returning plain data."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from functools import cached_property
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common.idempotency import Idempotent, once
from services.common.sessions import SessionTokens
from services.common.store import ServiceApplication
from services.identity import rules
from services.identity.credentials import Credentials
from services.identity.digital_identity import DigitalIdentity
from services.identity.domain import (
    CONTACT_FIELDS,
    SCHOOL,
    SIGNED_UP_AGAIN,
    Account,
    EmailClaim,
    contact_changes,
)
from services.identity.errors import AccountNotFound, InvalidFields, LinkInvalid
from services.identity.publications import PUBLISHED
from services.identity.secrets import (
    ACTIVATION,
    LinkTokens,
    Passwords,
    new_nonce,
)

# Whose key (in the key store, identity's own) hashes the addresses accounts
# are found by: no account's, so no erasure ever forgets it.
EMAIL_INDEX = uuid5(NAMESPACE_URL, "pmc-identity:email-index")


class IdentityApplication(Credentials, ServiceApplication):
    """Accounts (ID-1…ID-5): sign-up, activation and profile here, signing in,
    sessions and passwords in credentials.py."""

    name: ClassVar[str] = "identity"
    published: ClassVar = PUBLISHED
    # Activation and reset links go to the address sealed in their events.
    publishes_sealed: ClassVar = True
    # Profile changes and links asked for add up over the years: load an
    # account from a snapshot.
    snapshotting_intervals: ClassVar = {Account: 100}

    def sealed_subject(self, event: Any) -> UUID | None:
        """A digital identity's messages open with its account's key (ID-7)."""
        if isinstance(event, DigitalIdentity.Event):
            return event.account_id if hasattr(event, "account_id") else None
        return super().sealed_subject(event)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = LinkTokens(self.settings.secret_key.get_secret_value())
        self.sessions = SessionTokens(
            self.settings.secret_key.get_secret_value(),
            timedelta(hours=self.settings.session_hours),
        )
        self.passwords = Passwords(self.settings.password_hashing)

    # -- sign-up and activation ---------------------------------------------------

    def sign_up(
        self, data: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """ID-1: once per idempotency key, scoped to the address signed up with
        (there is no school yet); a retry gets the same answer, not « déjà
        utilisé ». Only a keyed digest of the request is kept, never the password."""
        email = rules.normalise_email(str(data.get("email") or ""))
        secret = self.settings.secret_key.get_secret_value()
        request = Idempotent.of(secret, "sign-up", email, idempotency_key, data)
        return once(
            self,
            request,
            lambda mark: self._sign_up(data, mark),
            lambda account_id: self._signed_up(self.repository.get(UUID(account_id))),
        )

    def _signed_up(self, account: Account) -> dict[str, Any]:
        return {"account_id": str(account.id), "email": self._email(account)}

    def _sign_up(self, data: dict[str, Any], mark: Any) -> dict[str, Any]:
        clean, errors = rules.check_sign_up(data)
        if errors:
            raise InvalidFields(errors)
        existing = self._find(clean["email"])
        if existing is not None:
            return self._signed_up_again(existing, mark)
        profile = clean["profile"]
        contact = {
            "email": clean["email"],
            **{k: v for k, v in profile.items() if k in CONTACT_FIELDS},
            "address": clean["address"],
        }
        account_id = uuid4()
        account = Account.register(
            account_id=account_id,
            kind=SCHOOL,
            password_hash=self.passwords.hash(data["password"]),
            company=profile,
            personal=self.vault.seal(account_id, contact),
            nonce=new_nonce(),
            at=self.clock.now(),
        )
        claim = EmailClaim(
            digest=self.email_digest(clean["email"]), account_id=account.id
        )
        try:
            self.save(account, claim, *mark(str(account.id)))
        except IntegrityError:
            # The same address, a moment earlier: as any existing account.
            existing = self._find(clean["email"])
            if existing is None:
                raise
            return self._signed_up_again(existing, mark)
        return self._signed_up(account)

    def _signed_up_again(self, account: Account, mark: Any) -> dict[str, Any]:
        """A sign-up with an address an account has gets the answer of any
        sign-up (issue 12: no account oracle); the owner gets the e-mail,
        with what to do: a new activation link if the account is not active
        yet, else a reset link, saying why it came."""
        self._sealing(account)
        if account.active:
            account.request_password_reset(
                new_nonce(), self.clock.now(), because=SIGNED_UP_AGAIN
            )
        else:
            account.reissue_activation_link(new_nonce(), at=self.clock.now())
        self.save(account, *mark(str(account.id)))
        return self._signed_up(account)

    def activate(self, account_id: UUID, token: str) -> dict[str, Any]:
        account = self._get_for_link(account_id, "d'activation")
        if account.active:
            # Said only to whoever holds the link that activated it: an
            # account id with any token tells nothing.
            used = getattr(account, "used_activation_nonce", None) or ""
            if used and self.links.matches(token, ACTIVATION, account.id, used):
                return {"email": self._email(account), "already_active": True}
            raise LinkInvalid("Ce lien d'activation n'est pas valide.")
        nonce = account.activation_nonce or ""
        if not self.links.matches(token, ACTIVATION, account.id, nonce):
            raise LinkInvalid("Ce lien d'activation n'est pas valide.")
        contact = self._sealing(account)
        account.activate(nonce, at=self.clock.now())
        self.save(account)
        return {"email": contact.get("email"), "already_active": False}

    def resend_activation(self, email: str) -> dict[str, Any]:
        """A new link for an account not yet active. For an address no account
        has, or an active one, nothing is sent and the answer is the same:
        it tells nobody which addresses have accounts (issue 12)."""
        account = self._find(rules.normalise_email(email))
        if account is None or account.active:
            return {"email": rules.normalise_email(email)}
        contact = self._sealing(account)
        account.reissue_activation_link(new_nonce(), at=self.clock.now())
        self.save(account)
        return {"email": contact.get("email")}

    # -- profile -------------------------------------------------------------------

    def profile(self, account_id: UUID) -> dict[str, Any]:
        return self._profile(self._get(account_id))

    def update_profile(self, account_id: UUID, data: dict[str, Any]) -> dict[str, Any]:
        clean, errors = rules.check_profile(data, partial=True)
        if errors:
            raise InvalidFields(errors)
        account = self._get(account_id)
        contact = self._sealing(account)
        changed = contact_changes(contact, clean)
        # Nothing opens once the key is forgotten: no new key is made for it.
        sealed = (
            self.vault.seal(account.id, {**contact, **changed})
            if changed and contact
            else None
        )
        account.update_profile(clean, sealed)
        if account.pending_events:
            self.save(account)
        return self._profile(account)

    def has_account(self, email: str) -> bool:
        return self._find(rules.normalise_email(email)) is not None

    # -- helpers ---------------------------------------------------------------------

    def _find(self, email: str) -> Account | None:
        """The account of a normalised address: by its keyed hash, or by the
        address itself for accounts claimed before hashing."""
        for claim_id in (
            EmailClaim.create_id(self.email_digest(email)),
            EmailClaim.legacy_id(email),
        ):
            try:
                claim = self.repository.get(claim_id)
            except AggregateNotFoundError:
                continue
            return self.repository.get(claim.account_id)
        return None

    @cached_property
    def _email_index_key(self) -> bytes:
        # In the key store, not derived from PMC_SECRET_KEY: kept apart from
        # the data (a dump of identity's schema cannot test addresses against
        # it), and neither a new secret key nor a new KEK changes it.
        key = self.keystore.key(EMAIL_INDEX, create=True, owner=self.name)
        assert key is not None  # created if missing
        return key

    def email_digest(self, email: str) -> str:
        """The keyed hash (HMAC-SHA256) a normalised address is found by."""
        return hmac.new(
            self._email_index_key, email.encode(), hashlib.sha256
        ).hexdigest()

    def _contact(self, account: Account) -> dict[str, Any]:
        """The contact's data in clear: opened with the account's key, or as
        stored before sealing; {} once the key is forgotten."""
        if account.personal is None:
            return account.legacy_contact()
        return self.vault.unseal(account.id, account.personal) or {}

    def _email(self, account: Account) -> str | None:
        return self._contact(account).get("email")

    def _sealing(self, account: Account) -> dict[str, Any]:
        """The contact's data; an account stored before sealing gets it sealed
        with its next write."""
        contact = self._contact(account)
        if account.personal is None:
            account.seal_personal_data(self.vault.seal(account.id, contact))
        return contact

    def _get(self, account_id: UUID) -> Account:
        try:
            return self.repository.get(account_id)
        except AggregateNotFoundError:
            raise AccountNotFound(account_id) from None

    def _get_for_link(self, account_id: UUID, kind: str) -> Account:
        try:
            return self._get(account_id)
        except AccountNotFound:
            raise LinkInvalid(f"Ce lien {kind} n'est pas valide.") from None

    def _profile(self, account: Account) -> dict[str, Any]:
        contact = self._contact(account)
        return {
            "account_id": str(account.id),
            "kind": account.kind,
            "email": contact.get("email"),
            **{k: contact[k] for k in CONTACT_FIELDS if k in contact},
            **account.profile,
            "address": contact.get("address") or {},
            "active": account.active,
        }
