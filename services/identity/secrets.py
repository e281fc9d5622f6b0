"""Signed things: e-mailed link tokens, bearer tokens, password hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ACTIVATION = "activation"
RESET = "reset"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class LinkTokens:
    """A link's token is an HMAC of (purpose, account, nonce): the event store
    keeps only the nonce, which is useless without the key."""

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(f"links:{secret_key}".encode()).digest()

    def token(self, purpose: str, account_id: UUID, nonce: str) -> str:
        mac = hmac.new(self._key, f"{purpose}:{account_id}:{nonce}".encode(), "sha256")
        return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")

    def matches(self, token: str, purpose: str, account_id: UUID, nonce: str) -> bool:
        return hmac.compare_digest(token, self.token(purpose, account_id, nonce))


class SessionTokens:
    """Bearer tokens: signed, expiring, and tied to a session generation."""

    def __init__(self, secret_key: str, lifetime: timedelta) -> None:
        self._key = hashlib.sha256(f"sessions:{secret_key}".encode()).hexdigest()
        self.lifetime = lifetime

    def issue(self, account_id: UUID, generation: int, at: datetime) -> dict[str, Any]:
        expires = at + self.lifetime
        claims = {
            "sub": str(account_id),
            "gen": generation,
            "iat": int(at.timestamp()),
            "exp": int(expires.timestamp()),
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return {"token": token, "expires_at": expires.isoformat()}

    def read(self, token: str, at: datetime) -> tuple[UUID, int] | None:
        """(account, generation) of a genuine, unexpired token; None otherwise."""
        try:
            # Expiry is checked against the injected clock below, not the wall's.
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"verify_exp": False}
            )
            if at.timestamp() >= float(claims["exp"]):
                return None
            return UUID(claims["sub"]), int(claims["gen"])
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            return None


class Passwords:
    """Argon2id hashes (argon2-cffi's defaults)."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()
        # Verified when the e-mail is unknown, so that both cases take as long.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(12))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def waste_time(self, password: str) -> None:
        self.verify(self._decoy, password)
