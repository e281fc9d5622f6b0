"""Bearer tokens checked in the gateway, with no call to identity.

The signature and expiry are checked here (services/common/sessions.py);
revocations (a new password, a sign-out) come from identity's events into an
in-memory view of each gateway replica. Each replica has a queue of its own,
exclusive to its connection; on start and on every reconnect to the broker it
subscribes first, then loads the revocations still in force with one call to
identity, and applies both idempotently (the newest generation wins, ended
sessions add up, both are forgotten once no token they revoke can be valid).
So no revocation is missed across a restart or a broker outage. Until the
first load, no token can be trusted: authenticated requests answer 503.
"""

from __future__ import annotations

import logging
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import eventlet
import kombu
from kombu import Queue, binding
from kombu.mixins import ConsumerMixin
from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import contracts
from services.common.clock import Clock, clock_from_settings
from services.common.errors import PlatformError
from services.common.sessions import SCHOOL, SessionClaims, SessionTokens
from services.common.settings import Settings
from services.common.topology import declare_source, events_exchange

log = logging.getLogger(__name__)

NOT_AUTHENTICATED = (
    "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
)
# The events this view follows, from identity.
CONTRACTS = (contracts.SessionsRevoked, contracts.SessionEnded)
_BY_TYPE = {c.event_type: c for c in CONTRACTS}
SOURCE = "identity"
# Seconds between two attempts to load the revocations from identity.
LOAD_RETRY = 1.0
LOAD_TIMEOUT = 10.0
# Expired entries are dropped at most this often.
PRUNE_EVERY = timedelta(minutes=1)


class NotReady(Exception):
    """The revocations were never loaded: no token can be trusted yet."""


class RevocationView:
    """The sessions revoked, as far as this replica knows."""

    def __init__(self) -> None:
        # account → (lowest valid generation, until when that matters)
        self._generations: dict[UUID, tuple[int, datetime]] = {}
        # session → when its token expires
        self._ended: dict[str, datetime] = {}
        self._pruned_at: datetime | None = None
        self.loaded = False

    def sessions_revoked(
        self, account_id: UUID, generation: int, expires_at: datetime
    ) -> None:
        known, until = self._generations.get(account_id, (0, expires_at))
        self._generations[account_id] = (
            max(known, generation),
            max(until, expires_at),
        )

    def session_ended(self, session_id: str, expires_at: datetime) -> None:
        self._ended[session_id] = max(
            expires_at, self._ended.get(session_id, expires_at)
        )

    def apply(self, contract: type[contracts.Contract], payload: dict) -> None:
        """One event of identity, loaded with its contract."""
        if contract is contracts.SessionsRevoked:
            self.sessions_revoked(
                payload["account_id"], payload["generation"], payload["expires_at"]
            )
        elif contract is contracts.SessionEnded:
            self.session_ended(payload["session_id"], payload["expires_at"])

    def load(self, current: dict[str, list[dict[str, Any]]]) -> None:
        """What identity answered: merged, never replacing what came by event."""
        for item in current.get("sessions_revoked", []):
            self.apply(
                contracts.SessionsRevoked, contracts.SessionsRevoked().load(item)
            )
        for item in current.get("sessions_ended", []):
            self.apply(contracts.SessionEnded, contracts.SessionEnded().load(item))
        self.loaded = True

    def refuses(self, claims: SessionClaims, now: datetime) -> bool:
        self._prune(now)
        revoked = self._generations.get(claims.account_id)
        if revoked is not None and claims.generation < revoked[0]:
            return True
        return claims.session_id in self._ended

    def _prune(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        self._generations = {k: v for k, v in self._generations.items() if v[1] > now}
        self._ended = {k: v for k, v in self._ended.items() if v > now}

    def __len__(self) -> int:
        return len(self._generations) + len(self._ended)


class SessionCheck:
    """Who a bearer token is, or a refusal: what every authenticated endpoint
    asks, answered in this process."""

    def __init__(
        self, tokens: SessionTokens, view: RevocationView, clock: Clock
    ) -> None:
        self.tokens = tokens
        self.view = view
        self.clock = clock

    def account(self, token: str, kind: str = SCHOOL) -> dict[str, Any]:
        """Whose session `token` is; refused unless it is of `kind` (a school's
        or a candidate's): the same answer as a token that is not genuine, so
        a route tells nothing of the other side."""
        now = self.clock.now()
        claims = self.tokens.read(token, now)
        if claims is None or claims.kind != kind:
            raise PlatformError("non_authentifie", NOT_AUTHENTICATED, status=401)
        if not self.view.loaded:
            raise NotReady()
        if self.view.refuses(claims, now):
            raise PlatformError("non_authentifie", NOT_AUTHENTICATED, status=401)
        return {
            "account_id": str(claims.account_id),
            "session_id": claims.session_id,
            "expires_at": claims.expires_at.isoformat(),
        }

    def ended(self, account: dict[str, Any]) -> None:
        """This replica stops accepting a session identity just ended, without
        waiting for the event (which every other replica gets)."""
        expires_at = datetime.fromisoformat(account["expires_at"])
        self.view.session_ended(account["session_id"], expires_at)


class _Feed(ConsumerMixin):
    """identity's revocation events into the view, on a queue of this replica."""

    def __init__(self, provider: Sessions, amqp_uri: str) -> None:
        self.provider = provider
        self.connection = kombu.Connection(amqp_uri, heartbeat=10)
        self.queue_name = (
            f"gateway-revocations-{socket.gethostname()}-" + (uuid.uuid4().hex[:8])
        )

    def queue(self) -> Queue:
        exchange = events_exchange(SOURCE)
        return Queue(
            self.queue_name,
            bindings=[binding(exchange, routing_key=c.event_type) for c in CONTRACTS],
            exclusive=True,
            auto_delete=True,
            durable=False,
        )

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        declare_source(channel, SOURCE)
        return [
            consumer_cls(
                queues=[self.queue()], callbacks=[self.on_message], accept=["json"]
            )
        ]

    def on_consume_ready(self, *args: Any, **kwargs: Any) -> None:
        # Subscribed: what is revoked from now on arrives on the queue; what was
        # revoked before (or while disconnected) comes with the load.
        self.provider.load_soon()

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        log.warning("revocations: broker unreachable (%s), again in %ss", exc, interval)

    def on_message(self, body: Any, message: Any) -> None:
        contract = _BY_TYPE.get(message.delivery_info.get("routing_key", ""))
        try:
            if contract is not None:
                self.provider.view.apply(contract, contract().load(body))
        except ValidationError as exc:
            log.error("revocation event refused: %s", exc)
        message.ack()


class Sessions(DependencyProvider):
    """Injects a SessionCheck; keeps this replica's revocation view current."""

    def setup(self) -> None:
        settings = Settings.from_env()
        self.view = RevocationView()
        self.check = SessionCheck(
            SessionTokens(
                settings.secret_key.get_secret_value(),
                timedelta(hours=settings.session_hours),
            ),
            self.view,
            clock_from_settings(settings.clock_offset_file),
        )
        self.rpc_config = {"AMQP_URI": self.container.config["AMQP_URI"]}
        self.feed = _Feed(self, self.container.config["AMQP_URI"])
        self._loader: Any = None

    def start(self) -> None:
        self.container.spawn_managed_thread(
            self.feed.run, identifier="sessions.revocations"
        )

    def stop(self) -> None:
        self.feed.should_stop = True
        if self._loader is not None:
            self._loader.kill()

    kill = stop

    def load_soon(self) -> None:
        """Load the revocations now, in the background, until it works."""
        if self._loader is not None:
            self._loader.kill()  # a reconnect: load again, after subscribing
        self._loader = eventlet.spawn(self._load)

    def _load(self) -> None:
        while not self.feed.should_stop:
            try:
                with ClusterRpcProxy(self.rpc_config, timeout=LOAD_TIMEOUT) as cluster:
                    current = cluster.identity.revocations()
                self.view.load(current)
                log.info("revocations loaded: %s in force", len(self.view))
                return
            except Exception as exc:
                log.warning("revocations not loaded yet: %r", exc)
                eventlet.sleep(LOAD_RETRY)

    def not_ready(self) -> str | None:
        """Why this replica cannot serve yet (its probe's readiness)."""
        return None if self.view.loaded else "révocations de sessions non chargées"

    def get_dependency(self, worker_ctx: Any) -> SessionCheck:
        return self.check
