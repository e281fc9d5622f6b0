"""Signed things: e-mailed link tokens and password hashes (bearer tokens are
in services/common/sessions.py: the gateway checks them too)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from services.common.links import LinkTokens, new_nonce

__all__ = [
    "ACTIVATION",
    "RESET",
    "LinkTokens",
    "Passwords",
    "new_nonce",
]

ACTIVATION = "activation"
RESET = "reset"


class Passwords:
    """Argon2id hashes, with one of argon2-cffi's profiles (the setting
    `PMC_PASSWORD_HASHING`; a hash keeps its own parameters, so one made under
    another profile still verifies).

    Hashing takes tens of milliseconds of CPU in C: on the eventlet hub it would
    freeze every other request of the process, so it runs in eventlet's pool of
    real threads (argon2-cffi releases the GIL while it works).
    """

    def __init__(self, profile: str = "RFC_9106_LOW_MEMORY") -> None:
        self._hasher = PasswordHasher.from_parameters(getattr(profiles, profile))
        # Verified when the e-mail is unknown, so that both cases take as long.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(12))

    def hash(self, password: str) -> str:
        return tpool.execute(self._hasher.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        return tpool.execute(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def waste_time(self, password: str) -> None:
        self.verify(self._decoy, password)
