"""Identity: commands and queries of accounts, returning plain data."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.common import contracts
from services.common.idempotency import Idempotent, once
from services.common.sessions import SessionTokens
from services.common.store import Publication, ServiceApplication
from services.identity import rules
from services.identity.domain import (
    SCHOOL,
    Account,
    EmailClaim,
    EndedSession,
    LinkInvalid,
    SignInOutcome,
)
from services.identity.projections import Revocations, new_generation
from services.identity.secrets import (
    ACTIVATION,
    RESET,
    LinkTokens,
    Passwords,
    new_nonce,
)

# How long a gateway's load of the revocations waits for the read model to
# reach the last revocation already written.
CATCH_UP_SECONDS = 5.0


class RevocationsBehind(RuntimeError):
    """The revocations read model has not caught up with the log yet."""

    def __init__(self) -> None:
        super().__init__("Les révocations de sessions ne sont pas encore à jour.")


class InvalidFields(ValueError):
    """Some fields are wrong; `fields` maps each to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("Certaines informations saisies sont incorrectes.")


class EmailTaken(InvalidFields):
    def __init__(self) -> None:
        super().__init__(
            {"email": ["Un compte existe déjà avec cette adresse e-mail."]}
        )


class UnknownEmail(LookupError):
    """No account has this address (ID-4 says so, in these words)."""

    def __init__(self) -> None:
        super().__init__("L'e-mail saisi est inconnu.")


class AccountNotFound(LookupError):
    """No account with this id."""


class BadCredentials(PermissionError):
    def __init__(self) -> None:
        super().__init__("L'e-mail ou le mot de passe est incorrect.")


class AccountLocked(PermissionError):
    def __init__(self, until: str) -> None:
        super().__init__(
            "Trop de tentatives de connexion échouées : votre compte est bloqué "
            f"jusqu'à {until}. Vous pouvez aussi réinitialiser votre mot de passe."
        )


class AccountNotActive(PermissionError):
    def __init__(self) -> None:
        super().__init__(
            "Votre compte n'est pas encore activé. Cliquez sur le lien reçu par "
            "e-mail, ou demandez un nouveau lien d'activation."
        )


class NotAuthenticated(PermissionError):
    def __init__(self) -> None:
        super().__init__(
            "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
        )


def _activation_requested(e: Any, app: IdentityApplication) -> dict[str, Any]:
    nonce = e.activation_nonce if isinstance(e, Account.Registered) else e.nonce
    expires = (
        e.activation_expires_at if isinstance(e, Account.Registered) else e.expires_at
    )
    return {
        "account_id": e.originator_id,
        "email": e.email,
        "link_token": app.links.token(ACTIVATION, e.originator_id, nonce),
        "expires_at": expires,
    }


def _reset_requested(e: Any, app: IdentityApplication) -> dict[str, Any]:
    return {
        "account_id": e.originator_id,
        "email": e.email,
        "link_token": app.links.token(RESET, e.originator_id, e.nonce),
        "expires_at": e.expires_at,
    }


def _sessions_revoked(e: Any, app: IdentityApplication) -> dict[str, Any] | None:
    revoked = new_generation(e)
    if revoked is None:
        return None
    generation, at = revoked
    return {
        "account_id": e.originator_id,
        "generation": generation,
        "revoked_at": at,
        "expires_at": at + app.sessions.lifetime,
    }


def _session_ended(e: EndedSession.Ended, app: IdentityApplication) -> dict[str, Any]:
    return {
        "account_id": e.account_id,
        "session_id": e.session_id,
        "expires_at": e.expires_at,
    }


def _paris_time(at: Any) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H h %M")


class IdentityApplication(ServiceApplication):
    """Accounts (ID-1…ID-5)."""

    name: ClassVar[str] = "identity"
    published: ClassVar = {
        Account.Registered: Publication(
            contracts.AccountActivationRequested, _activation_requested
        ),
        Account.ActivationLinkReissued: Publication(
            contracts.AccountActivationRequested, _activation_requested
        ),
        Account.PasswordResetRequested: Publication(
            contracts.PasswordResetRequested, _reset_requested
        ),
        Account.PasswordChanged: Publication(
            contracts.SessionsRevoked, _sessions_revoked
        ),
        Account.PasswordReset: Publication(
            contracts.SessionsRevoked, _sessions_revoked
        ),
        EndedSession.Ended: Publication(contracts.SessionEnded, _session_ended),
    }
    # Failed sign-ins and profile changes add up over the years: load an
    # account from a snapshot.
    snapshotting_intervals: ClassVar = {Account: 100}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = LinkTokens(self.settings.secret_key)
        self.sessions = SessionTokens(
            self.settings.secret_key, timedelta(hours=self.settings.session_hours)
        )
        self.passwords = Passwords()

    # -- sign-up and activation ---------------------------------------------------

    def sign_up(
        self, data: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """ID-1: once per idempotency key, scoped to the address signed up with
        (there is no school yet); a retry gets the same answer, not « déjà
        utilisé ». Only a keyed digest of the request is kept, never the password."""
        email = rules.normalise_email(str(data.get("email") or ""))
        secret = self.settings.secret_key
        request = Idempotent.of(secret, "sign-up", email, idempotency_key, data)
        return once(
            self,
            request,
            lambda mark: self._sign_up(data, mark),
            lambda account_id: self._signed_up(self.repository.get(UUID(account_id))),
        )

    @staticmethod
    def _signed_up(account: Account) -> dict[str, Any]:
        return {"account_id": str(account.id), "email": account.email}

    def _sign_up(self, data: dict[str, Any], mark: Any) -> dict[str, Any]:
        clean, errors = rules.check_sign_up(data)
        if errors:
            raise InvalidFields(errors)
        if self._find(clean["email"]) is not None:
            raise EmailTaken()
        account = Account.register(
            kind=SCHOOL,
            email=clean["email"],
            password_hash=self.passwords.hash(data["password"]),
            profile=clean["profile"],
            address=clean["address"],
            nonce=new_nonce(),
            at=self.clock.now(),
        )
        claim = EmailClaim(email=clean["email"], account_id=account.id)
        try:
            self.save(account, claim, *mark(str(account.id)))
        except IntegrityError:
            raise EmailTaken() from None  # the same address, a moment earlier
        return self._signed_up(account)

    def activate(self, account_id: UUID, token: str) -> dict[str, Any]:
        account = self._get_for_link(account_id, "d'activation")
        nonce = account.activation_nonce or ""
        if not self.links.matches(token, ACTIVATION, account.id, nonce):
            if account.active:
                return {"email": account.email, "already_active": True}
            raise LinkInvalid("Ce lien d'activation n'est pas valide.")
        account.activate(nonce, at=self.clock.now())
        self.save(account)
        return {"email": account.email, "already_active": False}

    def resend_activation(self, email: str) -> dict[str, Any]:
        account = self._require(email)
        account.reissue_activation_link(new_nonce(), at=self.clock.now())
        self.save(account)
        return {"email": account.email}

    # -- signing in ----------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        account = self._find(rules.normalise_email(email))
        if account is None:
            self.passwords.waste_time(password)
            raise BadCredentials()
        now = self.clock.now()
        password_ok = not account.is_locked(now) and self.passwords.verify(
            account.password_hash, password
        )
        outcome = account.sign_in(password_ok, at=now)
        if account.pending_events:
            self.save(account)
        if outcome is SignInOutcome.LOCKED:
            assert account.locked_until is not None
            raise AccountLocked(_paris_time(account.locked_until))
        if outcome is SignInOutcome.BAD_CREDENTIALS:
            raise BadCredentials()
        if outcome is SignInOutcome.NOT_ACTIVE:
            raise AccountNotActive()
        session = self.sessions.issue(account.id, account.session_generation, now)
        return {**session, "account": self._profile(account)}

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
        account = self._require(email)
        account.request_password_reset(new_nonce(), at=self.clock.now())
        self.save(account)
        return {"email": account.email}

    def reset_password(self, account_id: UUID, token: str, password: str) -> None:
        problems = rules.password_problems(password)
        if problems:
            raise InvalidFields({"password": problems})
        account = self._get_for_link(account_id, "de réinitialisation")
        nonce = account.reset_nonce or ""
        if not self.links.matches(token, RESET, account.id, nonce):
            raise LinkInvalid("Ce lien de réinitialisation n'est pas valide.")
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
        account.change_password(self.passwords.hash(new), at=now)
        self.save(account)
        # This session goes on with a token of the new generation; others end.
        return self.sessions.issue(
            account.id, account.session_generation, now, session_id
        )

    # -- profile -------------------------------------------------------------------

    def profile(self, account_id: UUID) -> dict[str, Any]:
        return self._profile(self._get(account_id))

    def update_profile(self, account_id: UUID, data: dict[str, Any]) -> dict[str, Any]:
        clean, errors = rules.check_profile(data, partial=True)
        if errors:
            raise InvalidFields(errors)
        account = self._get(account_id)
        if account.update_profile(clean):
            self.save(account)
        return self._profile(account)

    def has_account(self, email: str) -> bool:
        return self._find(rules.normalise_email(email)) is not None

    # -- helpers ---------------------------------------------------------------------

    def _find(self, email: str) -> Account | None:
        try:
            claim = self.repository.get(EmailClaim.create_id(email))
        except AggregateNotFoundError:
            return None
        return self.repository.get(claim.account_id)

    def _require(self, email: str) -> Account:
        account = self._find(rules.normalise_email(email or ""))
        if account is None:
            raise UnknownEmail()
        return account

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

    @staticmethod
    def _profile(account: Account) -> dict[str, Any]:
        return {
            "account_id": str(account.id),
            "kind": account.kind,
            "email": account.email,
            **account.profile,
            "address": account.address,
            "active": account.active,
        }
