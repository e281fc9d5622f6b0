"""Commands and queries of candidates' accounts (ID-6), over the identity
application (its store, key vault, password hasher and session tokens)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common.envelope import Delivered
from services.common.sessions import CANDIDATE
from services.identity import rules
from services.identity.application import IdentityApplication
from services.identity.candidate_account import (
    CHANNELS,
    EMAIL_CODE,
    PHONE_CODE,
    AccountClosed,
    CandidateAccount,
    FileHolder,
    account_code,
)
from services.identity.errors import (
    AccountNotActive,
    AccountNotFound,
    BadCredentials,
    InvalidFields,
)
from services.identity.secrets import new_nonce


class CandidateAccounts:
    """What identity does with candidates' accounts."""

    def __init__(self, app: IdentityApplication) -> None:
        self.app = app

    def open(
        self, candidate_id: UUID, email: str, phone: str | None, password: str
    ) -> dict[str, Any]:
        """On confirmation of a file: a new account, codes sent by e-mail and
        (for a mobile) by SMS; or, for an address that has one already, the
        file joins it and its own password stays."""
        problems = rules.password_problems(password)
        if problems:
            raise InvalidFields({"password": problems})
        email = rules.normalise_email(email)
        digest = self.app.email_digest(email)
        existing = self._find_digest(digest)
        if existing is not None and not existing.closed:
            if candidate_id not in existing.files:
                existing.add_file(candidate_id)
                holder = FileHolder(candidate_id=candidate_id, account_id=existing.id)
                self.app.save(existing, holder)
            return self._view(existing, opened=False)
        if existing is not None:
            # Closed when its last file was erased, its key forgotten: it
            # cannot hold data again (reopening is left for later).
            raise AccountClosed()
        account_id = CandidateAccount.create_id(digest)
        sealed = self.app.vault.seal(account_id, {"email": email, "phone": phone})
        account = CandidateAccount(
            digest=digest,
            candidate_id=candidate_id,
            password_hash=self.app.passwords.hash(password),
            personal=sealed,
            opened_at=self.app.clock.now(),
        )
        now = self.app.clock.now()
        for channel in CHANNELS if phone else (EMAIL_CODE,):
            account.send_code(channel, new_nonce(), now)
        holder = FileHolder(candidate_id=candidate_id, account_id=account.id)
        try:
            self.app.save(account, holder)
        except IntegrityError:  # the same address a moment earlier
            return self.open(candidate_id, email, phone, password)
        # Whoever just confirmed with the e-mailed link may type the codes at
        # once; signing in later needs the e-mail proved.
        session = self.app.sessions.issue(account.id, 0, now, kind=CANDIDATE)
        return {**session, **self._view(account, opened=True)}

    def send_code(self, account_id: UUID, channel: str) -> dict[str, Any]:
        """A new code on `channel` (the previous one stops working)."""
        account = self._get(account_id)
        if channel != EMAIL_CODE and not self._contact(account).get("phone"):
            raise InvalidFields({"canal": ["Aucun téléphone n'est connu."]})
        account.send_code(channel, new_nonce(), self.app.clock.now())
        self.app.save(account)
        return self._view(account)

    def verify(self, account_id: UUID, channel: str, code: str) -> dict[str, Any]:
        """Check a code typed by the candidate; a wrong one is counted."""
        account = self._get(account_id)
        nonce = account.waiting_nonce(channel)
        code_ok = code == account_code(self.app.links, account.id, nonce)
        try:
            account.check_code(channel, code_ok, self.app.clock.now())
        finally:
            if account.pending_events:  # a failure counts even when refused
                self.app.save(account)
        return self._view(account)

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """A candidate's session: a token that only candidates' routes take."""
        digest = self.app.email_digest(rules.normalise_email(email))
        account = self._find_digest(digest)
        if account is None or account.closed:
            self.app.passwords.waste_time(password)
            raise BadCredentials()
        if not self.app.passwords.verify(account.password_hash, password):
            raise BadCredentials()
        if not account.active:
            raise AccountNotActive()
        session = self.app.sessions.issue(
            account.id, account.session_generation, self.app.clock.now(), kind=CANDIDATE
        )
        return {**session, "account": self._view(account)}

    def on_file_created(self, event: Delivered) -> None:
        """A school filed for someone who has an account (the same address):
        the file shows in their space, awaiting their confirmation."""
        email = event.payload.get("email")
        account = None
        if email and not event.erased:
            account = self._find_digest(
                self.app.email_digest(rules.normalise_email(email))
            )
        candidate_id = event.payload["candidate_id"]
        if account is None or account.closed or candidate_id in account.files:
            self.app.record_processed(event.tracking)
            return
        account.add_file(candidate_id)
        holder = FileHolder(candidate_id=candidate_id, account_id=account.id)
        self.app.save(account, holder, tracking=event.tracking)

    def on_file_erased(self, event: Delivered) -> None:
        """An erased file leaves its account; the last one closes it and its
        key (the e-mail and phone it seals) is forgotten (TR-4)."""
        candidate_id = event.payload["candidate_id"]
        try:
            holder = self.app.repository.get(FileHolder.create_id(candidate_id))
        except AggregateNotFoundError:
            self.app.record_processed(event.tracking)  # no account holds it
            return
        account = self.app.repository.get(holder.account_id)
        account.remove_file(candidate_id)
        if account.pending_events:
            self.app.save(account, tracking=event.tracking)
        else:
            self.app.record_processed(event.tracking)
        if account.closed:
            self.app.vault.forget(account.id)

    def account(self, account_id: UUID) -> dict[str, Any]:
        return self._view(self._get(account_id))

    # -- helpers -------------------------------------------------------------------

    def _find_digest(self, digest: str) -> CandidateAccount | None:
        try:
            return self.app.repository.get(CandidateAccount.create_id(digest))
        except AggregateNotFoundError:
            return None

    def _get(self, account_id: UUID) -> CandidateAccount:
        try:
            account = self.app.repository.get(account_id)
        except AggregateNotFoundError:
            raise AccountNotFound(account_id) from None
        if not isinstance(account, CandidateAccount) or account.closed:
            raise AccountNotFound(account_id)
        return account

    def _contact(self, account: CandidateAccount) -> dict[str, Any]:
        return self.app.vault.unseal(account.id, account.personal) or {}

    def _view(self, account: CandidateAccount, opened: bool = False) -> dict[str, Any]:
        contact = self._contact(account)
        return {
            "account_id": str(account.id),
            "kind": CANDIDATE,
            "email": contact.get("email"),
            "phone": contact.get("phone"),
            "email_verified": EMAIL_CODE in account.verified,
            "phone_verified": PHONE_CODE in account.verified,
            "files": [str(f) for f in account.files],
            "opened": opened,
        }
