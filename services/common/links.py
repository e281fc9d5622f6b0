"""Tokens of e-mailed links and of codes sent by post.

A token is an HMAC of (purpose, subject, nonce): the event store keeps only the
nonce, useless without the key; a new nonce makes every older link stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


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
