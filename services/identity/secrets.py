"""Signed things: e-mailed link tokens, bearer tokens, password hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.links import LinkTokens, new_nonce

__all__ = [
    "ACTIVATION",
    "RESET",
    "LinkTokens",
    "Passwords",
    "SessionTokens",
    "new_nonce",
]

ACTIVATION = "activation"
RESET = "reset"


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
            # Times are checked against the injected clock below, not the wall's.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False},
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
