"""Candidates' personal accounts (ID-6): opened when a candidate confirms the
file their school created (seed 004: the request « a créé un compte personnel
pour le candidat »); the e-mail is proved by a 6-digit code sent by e-mail, the
phone by a 6-digit code sent by SMS.

Pure, as the school's `Account`: hashes, nonces and the time come in. A code is
derived from a nonce kept in the event (services/common/links.py), never stored
itself; each code lives `CODE_VALIDITY` and takes `CODE_TRIES` wrong guesses,
after which only a new code helps (and sending codes is rate-limited by the
gateway). The e-mail and phone are sealed with the account's key, as a
school's contact data is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.common.links import LinkTokens
from services.common.sessions import CANDIDATE
from services.identity.errors import AccountError

EMAIL_CODE = "email"
PHONE_CODE = "telephone"
CHANNELS = (EMAIL_CODE, PHONE_CODE)
CODE_VALIDITY = timedelta(minutes=15)
CODE_TRIES = 5
CODE_PURPOSE = "candidate-account-code"


def account_code(links: LinkTokens, account_id: UUID, nonce: str) -> str:
    """The 6 digits a code's nonce stands for (keyed: only the platform knows)."""
    token = links.token(CODE_PURPOSE, account_id, nonce)
    number = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big")
    return f"{number % 1_000_000:06d}"


class CodeInvalid(AccountError):
    """The code typed is not the one sent."""


class CodeExpired(AccountError):
    """The code's time ran out, or it took too many wrong guesses."""


class AccountClosed(AccountError):
    """The account was closed with its last file's erasure."""

    def __init__(self) -> None:
        super().__init__(
            "Votre compte personnel a été supprimé avec vos données : "
            "confirmez votre dossier sans compte."
        )


class NoCodeToCheck(AccountError):
    """Nothing waits for a code on this channel (verified, or none sent)."""


class CandidateAccount(Aggregate):
    """A candidate's account: one per e-mail address, holding their files."""

    kind = CANDIDATE

    @staticmethod
    def create_id(digest: str) -> UUID:
        # From the keyed hash of the address: a second confirmation with the
        # same address finds this account instead of making another.
        return uuid5(NAMESPACE_URL, f"pmc-candidate-account:{digest}")

    class Opened(Aggregate.Created):
        digest: str
        candidate_id: UUID
        password_hash: str
        personal: str  # e-mail and phone, sealed
        opened_at: datetime

    @event(Opened)
    def __init__(
        self,
        digest: str,
        candidate_id: UUID,
        password_hash: str,
        personal: str,
        opened_at: datetime,
    ) -> None:
        self.files = [candidate_id]
        self.password_hash = password_hash
        self.personal = personal
        self.verified: dict[str, datetime] = {}
        # channel → (nonce, expiry, wrong guesses) of the code waiting
        self.codes: dict[str, tuple[str, datetime, int]] = {}
        self.session_generation = 0

    @property
    def active(self) -> bool:
        """Signing in needs the e-mail proved; the phone may follow."""
        return EMAIL_CODE in self.verified and not self.closed

    # A class default: what opened accounts replay before any closing.
    closed = False

    class FileAdded(Aggregate.Event):
        candidate_id: UUID

    def add_file(self, candidate_id: UUID) -> None:
        """Another file of the same person (a second school, a new try)."""
        if candidate_id not in self.files:
            self._file_added(candidate_id=candidate_id)

    @event(FileAdded)
    def _file_added(self, candidate_id: UUID) -> None:
        self.files.append(candidate_id)

    class FileRemoved(Aggregate.Event):
        candidate_id: UUID
        # The account closes with its last file: its key is then forgotten.
        closes: bool

    def remove_file(self, candidate_id: UUID) -> None:
        """An erased file (TR-4, CA-4) leaves the account; the last one
        closes it."""
        if candidate_id in self.files:
            closes = self.files == [candidate_id]
            self._file_removed(candidate_id=candidate_id, closes=closes)

    @event(FileRemoved)
    def _file_removed(self, candidate_id: UUID, closes: bool) -> None:
        self.files.remove(candidate_id)
        if closes:
            self.closed = True

    # -- codes -------------------------------------------------------------------

    class CodeSent(Aggregate.Event):
        channel: str
        nonce: str
        expires_at: datetime
        # For the relay: where the code goes, sealed.
        personal: str

    def send_code(self, channel: str, nonce: str, at: datetime) -> None:
        if channel in self.verified:
            raise NoCodeToCheck(_already_verified(channel))
        self._code_sent(
            channel=channel,
            nonce=nonce,
            expires_at=at + CODE_VALIDITY,
            personal=self.personal,
        )

    @event(CodeSent)
    def _code_sent(
        self, channel: str, nonce: str, expires_at: datetime, personal: str
    ) -> None:
        self.codes[channel] = (nonce, expires_at, 0)

    def waiting_nonce(self, channel: str) -> str:
        """The nonce of the code waiting on `channel`."""
        if channel in self.verified or channel not in self.codes:
            raise NoCodeToCheck(
                _already_verified(channel)
                if channel in self.verified
                else "Aucun code n'a été envoyé : demandez-en un."
            )
        return self.codes[channel][0]

    class CodeFailed(Aggregate.Event):
        channel: str

    class Verified(Aggregate.Event):
        channel: str
        verified_at: datetime

    def check_code(self, channel: str, code_ok: bool, at: datetime) -> None:
        """One try of the code waiting on `channel` (see `waiting_nonce`)."""
        _, expires_at, failures = self.codes[channel]
        if at > expires_at or failures >= CODE_TRIES:
            raise CodeExpired("Ce code n'est plus valable : demandez un nouveau code.")
        if not code_ok:
            self._code_failed(channel=channel)
            left = CODE_TRIES - failures - 1
            raise CodeInvalid(
                f"Ce code est incorrect. Il vous reste {left} essai(s)."
                if left
                else "Ce code est incorrect. Demandez un nouveau code."
            )
        self._verified(channel=channel, verified_at=at)

    @event(CodeFailed)
    def _code_failed(self, channel: str) -> None:
        nonce, expires_at, failures = self.codes[channel]
        self.codes[channel] = (nonce, expires_at, failures + 1)

    @event(Verified)
    def _verified(self, channel: str, verified_at: datetime) -> None:
        self.verified[channel] = verified_at
        self.codes.pop(channel, None)


class FileHolder(Aggregate):
    """Which account holds a file: found from the file's id alone, when that
    file is erased."""

    @staticmethod
    def create_id(candidate_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-candidate-file-holder:{candidate_id}")

    class Recorded(Aggregate.Created):
        candidate_id: UUID
        account_id: UUID

    @event(Recorded)
    def __init__(self, candidate_id: UUID, account_id: UUID) -> None:
        self.account_id = account_id


def _already_verified(channel: str) -> str:
    if channel == EMAIL_CODE:
        return "Votre adresse e-mail est déjà vérifiée."
    return "Votre numéro de téléphone est déjà vérifié."
