"""Tokens of e-mailed links and of codes sent by post.

A token is an HMAC of (purpose, subject, nonce): the event store keeps only the
nonce, useless without the key; a new nonce makes every older link stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from enum import Enum
from uuid import UUID


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Validity(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


# An expiring token's deadline: seconds since the epoch, ASCII digits.
_STAMP_DIGITS = 12


class LinkTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(f"links:{secret_key}".encode()).digest()

    def _mac(self, purpose: str, subject_id: UUID, nonce: str) -> bytes:
        message = f"{purpose}:{subject_id}:{nonce}".encode()
        return hmac.digest(self._key, message, "sha256")

    def token(self, purpose: str, subject_id: UUID, nonce: str) -> str:
        mac = self._mac(purpose, subject_id, nonce)
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def matches(self, token: str, purpose: str, subject_id: UUID, nonce: str) -> bool:
        return hmac.compare_digest(token, self.token(purpose, subject_id, nonce))

    def expiring_token(
        self, purpose: str, subject_id: UUID, nonce: str, until: datetime
    ) -> str:
        """A token that stops working at `until`: the deadline is signed with
        the rest, so it cannot be moved."""
        stamp = str(int(until.timestamp()))
        return f"{stamp}.{self.token(f'{purpose}@{stamp}', subject_id, nonce)}"

    def check_expiring(
        self, token: str, purpose: str, subject_id: UUID, nonce: str, now: datetime
    ) -> Validity:
        stamp, _, mac = token.partition(".")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _STAMP_DIGITS):
            return Validity.INVALID
        if not self.matches(mac, f"{purpose}@{stamp}", subject_id, nonce):
            return Validity.INVALID
        return Validity.EXPIRED if now.timestamp() >= int(stamp) else Validity.VALID

    def code(self, purpose: str, subject_id: UUID, nonce: str) -> str:
        """A short code to type from a letter: 10 letters and digits."""
        mac = self._mac(f"code:{purpose}", subject_id, nonce)
        # 10 characters of base 32 are the first 50 bits: 10 bytes suffice.
        return base64.b32encode(mac[:10]).decode()[:10]

    def code_matches(
        self, code: str, purpose: str, subject_id: UUID, nonce: str
    ) -> bool:
        typed = code.strip().upper().replace(" ", "").replace("-", "")
        return hmac.compare_digest(typed, self.code(purpose, subject_id, nonce))
