"""Bearer tokens of signed-in accounts: issued by identity, checked by the
gateway on every request without asking identity (HS256 JWT, key derived from
PMC_SECRET_KEY). Times are read from the injected clock, never the wall's, so
that tests can travel in time."""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

ALGORITHM = "HS256"
# Who a session is for: a school's token never opens a candidate's routes, nor
# the reverse. Tokens issued before kinds were named are schools'.
SCHOOL = "auto-ecole"
CANDIDATE = "candidat"
# La Poste's back-office agents (ID-7): their tokens open their desks only.
AGENT = "agent"


@dataclass(frozen=True)
class SessionClaims:
    """What a genuine token says: whose session, which one, until when."""

    account_id: UUID
    # Tokens of a generation older than the account's current one are revoked
    # (a new password starts a new generation).
    generation: int
    session_id: str
    expires_at: datetime
    kind: str = SCHOOL


class SessionTokens:
    """Signs and reads bearer tokens."""

    def __init__(self, secret_key: str, lifetime: timedelta) -> None:
        self._key = hashlib.sha256(f"sessions:{secret_key}".encode()).hexdigest()
        self.lifetime = lifetime

    def issue(
        self,
        account_id: UUID,
        generation: int,
        at: datetime,
        session_id: str | None = None,
        kind: str = SCHOOL,
    ) -> dict[str, Any]:
        """A token for a new session (or for `session_id`, which goes on)."""
        expires = at + self.lifetime
        claims = {
            "knd": kind,
            "sub": str(account_id),
            "gen": generation,
            "sid": session_id or uuid.uuid4().hex,
            "iat": int(at.timestamp()),
            "exp": int(expires.timestamp()),
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return {"token": token, "expires_at": expires.isoformat()}

    def read(self, token: str, at: datetime) -> SessionClaims | None:
        """The claims of a genuine, unexpired token; None otherwise."""
        claims = self._verified(token)
        if claims is None or at >= claims.expires_at:
            return None
        return claims

    @functools.lru_cache(maxsize=10_000)  # noqa: B019 - one instance per process
    def _verified(self, token: str) -> SessionClaims | None:
        """The claims of a token signed with our key, whatever its expiry.

        Remembered: a school's every request carries the same token, and
        checking its signature again each time was a tenth of the gateway's
        work. Expiry and revocation are still checked on every request."""
        try:
            # Only HS256 with our key: "none" and every other algorithm are
            # refused. Expiry is checked below against the injected clock.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False},
            )
            expires_at = datetime.fromtimestamp(float(claims["exp"]), UTC)
            return SessionClaims(
                account_id=UUID(claims["sub"]),
                generation=int(claims["gen"]),
                session_id=str(claims["sid"]),
                expires_at=expires_at,
                kind=str(claims.get("knd", SCHOOL)),
            )
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError, OverflowError):
            return None
