"""Signing in, sessions and passwords of accounts (ID-3, ID-4, ID-5): part of
IdentityApplication.

Apart from application.py (sign-up, activation, profile) because these are
what a user does with the credentials of an account that exists: check a
password, end a session, list the revocations a gateway must know, reset or
change a password."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.common.store import retry_on_conflict
from services.identity import rules
from services.identity.domain import EndedSession, SignInOutcome
from services.identity.errors import (
    AccountNotActive,
    BadCredentials,
    InvalidFields,
    LinkInvalid,
    NotAuthenticated,
    RevocationsBehind,
)
from services.identity.projections import Revocations
from services.identity.secrets import RESET, new_nonce

# How long a gateway's load of the revocations waits for the read model to
# reach the last revocation already written.
CATCH_UP_SECONDS = 5.0


class Credentials:
    """Part of IdentityApplication."""

    # -- signing in ----------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        account = self._find(rules.normalise_email(email))
        if account is None:
            self.passwords.waste_time(password)
            raise BadCredentials()
        now = self.clock.now()
        password_ok = self.passwords.verify(account.password_hash, password)
        outcome = account.sign_in(password_ok, at=now)
        if account.pending_events:
            self.save(account)
        if outcome is SignInOutcome.BAD_CREDENTIALS:
            raise BadCredentials()
        if outcome is SignInOutcome.NOT_ACTIVE:
            raise AccountNotActive()
        session = self.sessions.issue(account.id, account.session_generation, now)
        return {**session, "account": self._profile(account)}

    def report_failed_sign_ins(
        self, email: str, attempts: int, since: datetime
    ) -> None:
        """The gateway counted `attempts` wrong passwords for this address
        since `since`: its owner gets one e-mail for that window. For an
        address no account has, nothing (the gateway asks either way)."""

        def attempt() -> None:
            account = self._find(rules.normalise_email(email))
            if account is None:
                return
            self._sealing(account)
            account.report_failed_sign_ins(attempts, since, at=self.clock.now())
            if account.pending_events:
                self.save(account)

        # Another write to the account meanwhile: decided again on it.
        retry_on_conflict(attempt, 3, IntegrityError())

    # -- sessions --------------------------------------------------------------------

    def end_session(self, token: str) -> None:
        """Sign-out: this token's session ends (its other tokens with it)."""
        claims = self.sessions.read(token, self.clock.now())
        if claims is None:
            raise NotAuthenticated()
        ended = EndedSession(
            session_id=claims.session_id,
            account_id=claims.account_id,
            expires_at=claims.expires_at,
            ended_at=self.clock.now(),
        )
        # Ended already (a sign-out sent twice): it stays ended.
        with contextlib.suppress(IntegrityError):
            self.save(ended)

    def revocations(self) -> dict[str, list[dict[str, Any]]]:
        """The revocations a gateway must know: every revocation written before
        this call is in the answer (later ones reach it as events)."""
        view = self.views["revocations"]
        if not view.caught_up(self, Revocations.topics, CATCH_UP_SECONDS):
            # A partial answer would let a revoked token in for hours: the
            # gateway keeps asking (and refusing, or keeps its view).
            raise RevocationsBehind()
        return view.current(self.clock.now(), self.sessions.lifetime)

    # -- passwords -----------------------------------------------------------------

    def request_password_reset(self, email: str) -> dict[str, Any]:
        """ID-4's link, by e-mail. For an address no account has, nothing is
        sent and the answer is the same (issue 12: no account oracle)."""
        account = self._find(rules.normalise_email(email))
        if account is None:
            return {"email": rules.normalise_email(email)}
        contact = self._sealing(account)
        account.request_password_reset(new_nonce(), at=self.clock.now())
        self.save(account)
        return {"email": contact.get("email")}

    def reset_password(self, account_id: UUID, token: str, password: str) -> None:
        problems = rules.password_problems(password)
        if problems:
            raise InvalidFields({"password": problems})
        account = self._get_for_link(account_id, "de réinitialisation")
        nonce = account.reset_nonce or ""
        if not self.links.matches(token, RESET, account.id, nonce):
            raise LinkInvalid("Ce lien de réinitialisation n'est pas valide.")
        self._sealing(account)
        account.reset_password(nonce, self.passwords.hash(password), self.clock.now())
        self.save(account)

    def change_password(
        self, account_id: UUID, current: str, new: str, session_id: str | None = None
    ) -> dict[str, Any]:
        account = self._get(account_id)
        if not self.passwords.verify(account.password_hash, current):
            raise InvalidFields(
                {"current_password": ["Le mot de passe actuel est incorrect."]}
            )
        problems = rules.password_problems(new)
        if problems:
            raise InvalidFields({"new_password": problems})
        now = self.clock.now()
        self._sealing(account)
        account.change_password(self.passwords.hash(new), at=now)
        self.save(account)
        # This session goes on with a token of the new generation; others end.
        return self.sessions.issue(
            account.id, account.session_generation, now, session_id
        )
