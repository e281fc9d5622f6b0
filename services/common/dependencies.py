"""nameko dependency providers: where applications and clients are built.

Nothing connects at import time; a container builds its application once, in
`setup()`, and shares it between its workers (eventsourcing applications are
safe to share: each call takes its own pooled connection). The application's
log followers (read models, the notifier's mail sender) run beside it in green
threads, one leader per follower across all replicas.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import eventlet
import psycopg
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import get_topic
from nameko.extensions import DependencyProvider
from psycopg import sql
from psycopg.rows import tuple_row

from services.common.db import creating_tables
from services.common.follower import LogFollower
from services.common.parking import describe
from services.common.projection import ReadModel
from services.common.settings import Settings
from services.common.store import ServiceApplication

log = logging.getLogger(__name__)

FollowerFactory = Callable[[ServiceApplication], LogFollower]


class ApplicationProvider(DependencyProvider):
    """Injects the service's eventsourcing application and runs its followers."""

    def __init__(
        self,
        application_cls: type[ServiceApplication],
        read_models: Mapping[str, ReadModel] | None = None,
        followers: Iterable[FollowerFactory] = (),
    ) -> None:
        self.application_cls = application_cls
        self.read_models = dict(read_models or {})
        self.follower_factories = list(followers)
        self.application: ServiceApplication | None = None
        self.followers: list[LogFollower] = []
        self._stop = threading.Event()
        self._threads: list[Any] = []

    def setup(self) -> None:
        app = self.application_cls(settings=Settings.from_env())
        self.application = app
        # Their tables, created once however many replicas start together.
        with _creating_tables(app):
            self.followers = self.build_followers(app)
            for follower in self.followers:
                if follower.parks:
                    follower.parking.create_table()
        # Readiness reports on them (see `service_health`).
        app.followers = self.followers  # type: ignore[attr-defined]

    def build_followers(self, app: ServiceApplication) -> list[LogFollower]:
        """This service's followers on `app`; its read models' views attached."""
        followers: list[LogFollower] = []
        for name, read_model in self.read_models.items():
            follower = read_model.follower(app)
            app.views[name] = follower.view
            followers.append(follower)
        followers += [factory(app) for factory in self.follower_factories]
        return followers

    def start(self) -> None:
        self._stop.clear()
        self._threads = [
            self.container.spawn_managed_thread(
                lambda f=follower: f.run(self._stop),
                identifier=f"follower:{follower.role}",
            )
            for follower in self.followers
        ]

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.wait()
        self._threads = []
        if self.application is not None:
            self.application.close()
            self.application = None

    def kill(self) -> None:
        self._stop.set()

    def get_dependency(self, worker_ctx: Any) -> ServiceApplication:
        if self.application is None:
            raise RuntimeError("application used before setup or after stop")
        return self.application


class SettingsProvider(DependencyProvider):
    """Injects the process's settings, read once at start."""

    def setup(self) -> None:
        self.settings = Settings.from_env()

    def get_dependency(self, worker_ctx: Any) -> Settings:
        return self.settings


def _creating_tables(app: ServiceApplication) -> contextlib.AbstractContextManager:
    if isinstance(app.recorder, PostgresProcessRecorder):
        return creating_tables(app.settings, app.schema)
    return contextlib.nullcontext()  # an in-memory store: nothing to create


def provider_of(service_cls: type) -> ApplicationProvider | None:
    """The ApplicationProvider a nameko service class declares, if any."""
    for value in vars(service_cls).values():
        if isinstance(value, ApplicationProvider):
            return value
    return None


class RelayWatch(LogFollower):
    """How far the outbox relay (another process) has published this
    service's log: readiness shows a relay that stopped or fell behind."""

    role = "relay"

    def __init__(self, app: ServiceApplication) -> None:
        super().__init__(app, topics=[get_topic(cls) for cls in app.published])

    def load_position(self, conn: psycopg.Connection) -> int:
        # The table the relay writes (services/common/relay.py).
        table = sql.Identifier(self.app.schema, "relay_position")
        curs = conn.cursor(row_factory=tuple_row)
        found = curs.execute(
            "SELECT to_regclass(%s)", (f"{self.app.schema}.relay_position",)
        ).fetchone()
        if not found or found[0] is None:
            return 0  # the relay never ran: nothing is published
        row = curs.execute(
            sql.SQL("SELECT position FROM {} WHERE stream = %s").format(table),
            (self.app.name,),
        ).fetchone()
        return int(row[0]) if row else 0

    def health(self, parked: int | None = None) -> dict[str, Any]:
        state = super().health(parked=0)
        # Its pauses are the relay process's own: this one cannot see them.
        state.update(paused=None, last_error=None, leading=None)
        return state


# A service answers its health RPC within this, whatever PostgreSQL does (the
# gateway gives all services 0.8 s together).
HEALTH_TIMEOUT = 0.6
HEALTH_UNKNOWN = "l'état des projections n'a pas pu être lu à temps"


def service_health(
    name: str, app: ServiceApplication, timeout: float = HEALTH_TIMEOUT
) -> dict[str, Any]:
    """A service's readiness: each follower's position, lag, parked events and
    pause (TR-2). `degradé` when any follower is; the service still answers.

    One reading at a time per process, in a green thread of its own: probes
    that come while PostgreSQL is slow or gone wait for the same reading, up
    to `timeout`, and never pile up workers or cut a query (and its pooled
    connection) in the middle.
    """
    reading = getattr(app, "health_reading", None)
    if reading is None or reading.dead:
        reading = eventlet.spawn(_read_health, name, app)
        app.health_reading = reading  # type: ignore[attr-defined]
    try:
        with eventlet.Timeout(timeout):
            return reading.wait()
    except eventlet.Timeout:
        return {"service": name, "status": "degradé", "error": HEALTH_UNKNOWN}


def _read_health(name: str, app: ServiceApplication) -> dict[str, Any]:
    followers: list[LogFollower] = getattr(app, "followers", [])
    states = []
    try:
        lot = next((f.parking for f in followers if f.parks), None)
        counts = lot.counts() if lot is not None else {}
        for follower in followers:
            states.append(follower.health(parked=counts.get(follower.role, 0)))
        if app.published:
            states.append(RelayWatch(app).health())
    except Exception as exc:
        # The database cannot tell: the service answers, its read models may
        # not; readiness says so rather than time out.
        log.warning("%s health unknown: %s", name, exc)
        return {"service": name, "status": "degradé", "error": describe(exc)}
    degraded = any(state["status"] != "ok" for state in states)
    return {
        "service": name,
        "status": "degradé" if degraded else "ok",
        "followers": states,
    }
