"""Key-encryption keys (KEKs) and the keyring that wraps and unwraps each data
subject's key with them (services/common/keystore.py keeps the wrapped keys).

A wrapped key is bound to its subject and owner (authenticated data), so it
cannot be copied to another subject; a KEK the keyring does not hold is named
in the error, never met later as unreadable data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.common.settings import Settings

# Development only: a KEK everybody knows. Outside development mode the store
# refuses to open without `PMC_KEY_ENCRYPTION_KEY`.
DEVELOPMENT_KEK = hashlib.sha256(b"passer-mon-code development KEK").digest()
_WRAP_CONTEXT = b"pmc-subject-key:"
# Whose key it is: the bus's, or a service's (its name).
BUS = "bus"


class KeyStoreError(RuntimeError):
    """The key store cannot be used as configured."""


class WrongKeyEncryptionKey(KeyStoreError):
    """Keys are wrapped by a key-encryption key the settings do not hold."""


def parse_kek(raw: str, variable: str = "PMC_KEY_ENCRYPTION_KEY") -> bytes:
    """A KEK as configured: 32 bytes, base64 (`openssl rand -base64 32`)."""
    try:
        kek = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        kek = b""
    if len(kek) != 32:
        raise KeyStoreError(
            f"{variable} must be 32 random bytes in base64 "
            "(for example: openssl rand -base64 32)"
        )
    return kek


def kek_id(kek: bytes) -> str:
    """A name for a KEK that reveals nothing of it: rows say which one wrapped them."""
    return hmac.new(kek, b"pmc-kek-id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The current KEK, which wraps, and older ones, which only unwrap."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        raw = settings.key_encryption_key
        if not raw:
            if not settings.development:
                raise KeyStoreError(
                    "PMC_KEY_ENCRYPTION_KEY is not set: outside development mode "
                    "the key store will not open with a known key"
                )
            current = DEVELOPMENT_KEK
        else:
            current = parse_kek(raw)
        previous = tuple(
            parse_kek(part, "PMC_PREVIOUS_KEY_ENCRYPTION_KEYS")
            for part in settings.previous_key_encryption_keys.split(",")
            if part.strip()
        )
        return cls(current, previous)

    @cached_property
    def current_id(self) -> str:
        return kek_id(self.current)

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        # Made once: a relay's batch unwraps a thousand keys.
        return {kek_id(k): AESGCM(k) for k in (*self.previous, self.current)}

    def wrap(self, subject_id: UUID, key: bytes, owner: str = BUS) -> bytes:
        nonce = os.urandom(12)
        aad = _aad(subject_id, owner)  # a wrapped key cannot change hands
        return nonce + self._ciphers[self.current_id].encrypt(nonce, key, aad)

    def unwrap(
        self, subject_id: UUID, wrapped_by: str, wrapped: bytes, owner: str = BUS
    ) -> bytes:
        kek = self._ciphers.get(wrapped_by)
        if kek is None:
            raise WrongKeyEncryptionKey(
                f"the key of {subject_id} is wrapped by key-encryption key "
                f"{wrapped_by}, which neither PMC_KEY_ENCRYPTION_KEY nor "
                "PMC_PREVIOUS_KEY_ENCRYPTION_KEYS holds"
            )
        try:
            return kek.decrypt(wrapped[:12], wrapped[12:], _aad(subject_id, owner))
        except InvalidTag:
            raise WrongKeyEncryptionKey(
                f"the key of {subject_id} does not open with key-encryption key "
                f"{wrapped_by}: altered, or moved from another subject"
            ) from None

    def knows(self, wrapped_by: str) -> bool:
        return wrapped_by in self._ciphers


def _aad(subject_id: UUID, owner: str) -> bytes:
    return _WRAP_CONTEXT + subject_id.bytes + owner.encode()
