"""The exam centres' own access to the results API (RE-1, issue 14).

An operator issues a key for one exam centre (`pmc centre-key issue`); the
centre sends its results file with it. Results keeps the keys because it is
the only service that accepts them; it stores only a SHA-256 of each key's
secret (256 random bits: no salt nor slow hash needed to resist guessing).

A centre records results only for reservations whose exam is in its own
centre. Results knows each reservation's session (booking's events), not the
session's centre: scheduling, which owns the catalogue, is asked which centre
each session of a file is in (a session never changes centre, so the answer
is kept for the life of the process)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.common.errors import PlatformError
from services.common.rpc import answer_in_time
from services.results.domain import ExamResult, ResultError

# A key reads `pmcc_<key id, 32 hex>_<secret>`: its id finds its hash, its
# secret (32 random bytes, base64url) proves it.
KEY_PREFIX = "pmcc"
SECRET_BYTES = 32
MAX_KEY_LENGTH = 200
REGISTRY_ID = uuid5(NAMESPACE_URL, "pmc-results:centre-keys")

REFUSED_KEY = (
    "Clé d'accès du centre d'examen absente, invalide ou révoquée "
    "(en-tête Authorization: Bearer <clé>)."
)
OTHER_CENTRE = (
    "Cette réservation est pour un examen d'un autre centre : "
    "aucun résultat enregistré."
)


class CentreKeyRefused(PermissionError):
    """No valid key of an exam centre: nothing is done."""

    def __init__(self) -> None:
        super().__init__(REFUSED_KEY)


class UnknownCentreKey(LookupError):
    """The operator named neither a centre with keys nor a key."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_key() -> tuple[UUID, str, str]:
    """A new key's id, its text (shown once) and the hash kept of it."""
    key_id = uuid4()
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return key_id, f"{KEY_PREFIX}_{key_id.hex}_{secret}", secret_hash(secret)


def parse_key(text: str) -> tuple[UUID, str] | None:
    """The key's id and secret, or None when it cannot be a centre's key."""
    if not isinstance(text, str) or len(text) > MAX_KEY_LENGTH:
        return None
    prefix, _, rest = text.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or len(key_id) != 32 or not secret:
        return None
    try:
        return UUID(hex=key_id), secret
    except ValueError:
        return None


class CentreKeys(Aggregate):
    """Every exam centre's API keys, as hashes, issued and revoked.

    One aggregate: keys are few (a few per centre) and issued by hand, and
    its version check makes two operators' issuances never overwrite each
    other."""

    @event("Created")
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}

    @classmethod
    def create_id(cls, **kwargs: object) -> UUID:
        return REGISTRY_ID

    @event("KeyIssued")
    def issue(
        self, key_id: str, centre_id: str, key_hash: str, issued_at: datetime
    ) -> None:
        self.keys[key_id] = {
            "key_id": key_id,
            "centre_id": centre_id,
            "hash": key_hash,
            "issued_at": issued_at,
            "revoked_at": None,
        }

    @event("KeyRevoked")
    def revoke(self, key_id: str, revoked_at: datetime) -> None:
        self.keys[key_id]["revoked_at"] = revoked_at

    def live_keys(self, target: str) -> list[str]:
        """The keys in force that `target` names: a key's id, or a centre's."""
        return [
            k["key_id"]
            for k in self.keys.values()
            if k["revoked_at"] is None and target in (k["key_id"], k["centre_id"])
        ]

    def centre_of(self, key: str) -> UUID:
        """The centre a key in force opens; CentreKeyRefused otherwise."""
        parsed = parse_key(key)
        if parsed is None:
            raise CentreKeyRefused()
        key_id, secret = parsed
        known = self.keys.get(str(key_id))
        # Compared in constant time, so timing tells nothing of the hash.
        expected = known["hash"] if known else secret_hash("")
        matches = hmac.compare_digest(secret_hash(secret), expected)
        if known is None or not matches or known["revoked_at"] is not None:
            raise CentreKeyRefused()
        return UUID(known["centre_id"])


SessionCentre = Callable[[UUID], UUID]
# Sessions whose centre this process was told: a session never moves.
_CENTRE_OF_SESSION: dict[UUID, UUID] = {}
KNOWN_SESSIONS_MAX = 100_000


class ScheduledCentres:
    """Which centre a session is in, as scheduling (the catalogue) says."""

    def __init__(self, scheduling: Any) -> None:
        self.scheduling = scheduling

    def __call__(self, session_id: UUID) -> UUID:
        known = _CENTRE_OF_SESSION.get(session_id)
        if known is not None:
            return known
        try:
            with answer_in_time():
                session = self.scheduling.session(str(session_id))
        except PlatformError as exc:
            if exc.status != 404:
                raise
            raise ResultError("Session de cet examen introuvable.") from None
        if len(_CENTRE_OF_SESSION) >= KNOWN_SESSIONS_MAX:
            _CENTRE_OF_SESSION.clear()
        centre = _CENTRE_OF_SESSION[session_id] = UUID(session["centre"]["id"])
        return centre


class CentreDesk:
    """The centres' keys and files, over the results application."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _registry(self) -> CentreKeys:
        try:
            return self.app.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            return CentreKeys()

    def _changed(self, change: Callable[[CentreKeys], Any]) -> Any:
        """`change` applied to the registry and saved; done again on a fresh
        copy when another operator saved first."""
        for _ in range(5):
            registry = self._registry()
            done = change(registry)
            try:
                self.app.save(registry)
            except IntegrityError:
                continue
            return done
        raise ResultError("Les clés ont changé pendant l'opération : relancez-la.")

    def issue(self, centre_id: UUID) -> dict[str, Any]:
        """A new key for the centre; its text is in this answer only."""
        key_id, text, key_hash = new_key()
        now = self.app.clock.now()

        def add(registry: CentreKeys) -> None:
            registry.issue(str(key_id), str(centre_id), key_hash, now)

        self._changed(add)
        return {"key_id": str(key_id), "centre_id": str(centre_id), "key": text}

    def revoke(self, target: UUID) -> list[str]:
        """Revoke a key, or every key in force of a centre: the ids revoked."""
        now = self.app.clock.now()

        def revoke(registry: CentreKeys) -> list[str]:
            ids = registry.live_keys(str(target))
            if not ids:
                raise UnknownCentreKey(str(target))
            for key_id in ids:
                registry.revoke(key_id, now)
            return ids

        return self._changed(revoke)

    def listing(self) -> list[dict[str, Any]]:
        """Every key issued, without its hash, oldest first."""
        keys = sorted(self._registry().keys.values(), key=lambda k: k["issued_at"])
        return [{k: v for k, v in key.items() if k != "hash"} for key in keys]

    def centre_of(self, key: str) -> UUID:
        return self._registry().centre_of(key)

    def import_results(
        self, key: str, text: str, session_centre: SessionCentre
    ) -> dict[str, Any]:
        """The centre's file, as the back office's import takes it, except
        that a line for another centre's exam is refused."""
        centre_id = self.centre_of(key)
        known: dict[UUID, UUID] = {}

        def admit(result: ExamResult) -> None:
            if result.session_id not in known:
                known[result.session_id] = session_centre(result.session_id)
            if known[result.session_id] != centre_id:
                raise ResultError(OTHER_CENTRE)

        return self.app.import_results(text, admit=admit)
