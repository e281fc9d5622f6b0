"""Rate limits on what a stranger, a script or a careless loop could repeat:
the routes that send e-mails, that anyone may call, and that cost a school
money or the platform work (issue 12).

Counters live in PostgreSQL (the gateway's own schema), so every replica of
the gateway counts the same requests; a fixed window per limit, which is
enough to stop a flood and costs one statement per limit checked. A counter's
key is a keyed hash of what it counts (an address, an e-mail, a school): the
table never holds an e-mail or a client's address in clear.

When the counters cannot be reached within a couple of seconds, the limited
route answers 503 « rien n'a été fait » at once (`LimitsUnavailable`): it fails
closed. Failing open would leave sign-in guessing and e-mail floods unlimited
exactly while the database is in trouble, and gains nothing: the counters share
the PostgreSQL the services keep their data in, so a request let through would
be refused by the service behind for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from nameko.extensions import DependencyProvider
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout
from werkzeug.wrappers import Request, Response

from gateway.http import refusal
from services.common import inputs
from services.common.clock import Clock, clock_from_settings
from services.common.db import connect, creating_tables, ensure_schema
from services.common.settings import Settings

TOO_MANY = "trop_de_demandes"
TABLE = "rate_limits"
# Rows older than this are deleted now and then: no window is longer.
KEPT = timedelta(days=1)
# One check in this many also deletes the old rows.
SWEEP_EVERY = 500
# Seconds a check waits for the counters before the route answers 503.
STORE_WAIT = 2.0


class LimitsUnavailable(Exception):
    """The counters could not be read or written in time: nothing is done."""


class RateLimited(Exception):
    """Over a limit: answered 429 with the seconds to wait (Retry-After)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def response(self) -> Response:
        minutes = max(1, math.ceil(self.seconds / 60))
        wait = "une minute" if minutes == 1 else f"{minutes} minutes"
        return refusal(
            429,
            TOO_MANY,
            f"Trop de demandes en peu de temps : réessayez dans {wait}.",
            headers={"Retry-After": self.seconds},
        )


@dataclass(frozen=True)
class Limit:
    """At most `setting` (a Settings attribute) requests per `window` for one
    value of `by`: the client's address, the e-mail in the body, the school."""

    name: str
    by: str
    setting: str
    window: timedelta


ADDRESS, EMAIL, SCHOOL = "adresse", "email", "ecole"
EMAIL_AT_ADDRESS = "email-adresse"
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def by_address(route: str) -> Limit:
    return Limit(route, ADDRESS, "limit_per_address", MINUTE)


# Counted per e-mail whether or not an account has it: a 429 tells nothing.
MAILS = Limit("mails", EMAIL, "limit_mails_per_email", HOUR)
PAYMENTS = Limit("paiements", SCHOOL, "limit_payments_per_school", HOUR)
IMPORTS = Limit("imports", SCHOOL, "limit_imports_per_school", HOUR)
# Files created one by one: bounds how many NEPHs a school can try in an hour.
FILES = Limit("dossiers", SCHOOL, "limit_files_per_school", HOUR)
RESENDS = Limit("renvois", SCHOOL, "limit_resends_per_school", HOUR)
# Failed sign-ins to one account from one address: slowed there, while the
# owner still signs in from anywhere else (no lock a stranger can set off).
SIGN_IN_FAILURES = Limit(
    "echecs-connexion",
    EMAIL_AT_ADDRESS,
    "limit_sign_in_failures",
    timedelta(minutes=15),
)
# Failed sign-ins to one account from any address: at the setting's count,
# its owner is told by e-mail, once per window (issue 12). Counted per e-mail
# whether or not an account has it: identity alone knows, and says nothing.
SIGN_IN_ALERT = Limit(
    "alerte-connexion", EMAIL, "sign_in_alert_failures", timedelta(hours=1)
)


class RateLimiter:
    def __init__(
        self, conninfo: str, schema: str, secret: str, clock: Clock, hops: int
    ) -> None:
        self.table = sql.Identifier(schema, TABLE)
        self._key = hashlib.sha256(f"limits:{secret}".encode()).digest()
        self.clock = clock
        # How many proxies in front of the gateway add to X-Forwarded-For.
        self.hops = hops
        self._checks = 0
        self.pool = ConnectionPool(
            conninfo,
            min_size=0,
            max_size=4,
            kwargs={"autocommit": True, "connect_timeout": int(STORE_WAIT)},
            open=True,
            name="rate-limits",
        )

    @contextmanager
    def _store(self) -> Iterator[psycopg.Connection]:
        """A connection to the counters, or LimitsUnavailable within
        STORE_WAIT seconds (plus one statement's time)."""
        try:
            with self.pool.connection(timeout=STORE_WAIT) as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise LimitsUnavailable() from exc

    def close(self) -> None:
        self.pool.close()

    def client_address(self, request: Request) -> str:
        """The address the request came from: the socket's, or, behind
        `hops` trusted proxies, the one the outermost of them saw."""
        if self.hops:
            chain = [
                part.strip()
                for part in request.headers.get("X-Forwarded-For", "").split(",")
                if part.strip()
            ]
            if len(chain) >= self.hops:
                return chain[-self.hops]
        return request.remote_addr or ""

    def check(
        self,
        limits: tuple[Limit, ...],
        settings: Any,
        request: Request,
        data: dict[str, Any] | None,
        account: dict[str, Any] | None,
    ) -> None:
        """Count this request against each limit; RateLimited if one is
        exceeded (every limit counts it all the same)."""
        now = self.clock.now()
        longest = 0
        for limit in limits:
            value = self._value(limit, request, data, account)
            if value is None:
                continue
            if self._hit(limit, value, now) > int(getattr(settings, limit.setting)):
                start = self._window_start(limit, now)
                longest = max(longest, self._left(limit, start, now))
        self._checks += 1
        if self._checks % SWEEP_EVERY == 0:
            self._sweep(now)
        if longest:
            raise RateLimited(longest)

    def refuse_if_used_up(
        self,
        limit: Limit,
        settings: Any,
        request: Request,
        data: dict[str, Any],
        account: dict[str, Any] | None = None,
    ) -> None:
        """RateLimited if `limit` is used up already; nothing is counted (a
        failure is, afterwards, by `count`)."""
        value = self._value(limit, request, data, account)
        if value is None:
            return
        now = self.clock.now()
        start = self._window_start(limit, now)
        with self._store() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT hits FROM {} WHERE counter = %s AND window_start = %s"
                ).format(self.table),
                (self._counter(limit, value), start),
            ).fetchone()
        if row is not None and row[0] >= int(getattr(settings, limit.setting)):
            raise RateLimited(self._left(limit, start, now))

    def count(
        self,
        limit: Limit,
        request: Request,
        data: dict[str, Any] | None,
        account: dict[str, Any] | None = None,
    ) -> int:
        """This request counted: how many the window holds now (0: not counted)."""
        value = self._value(limit, request, data, account)
        if value is None:
            return 0
        return self._hit(limit, value, self.clock.now())

    def window_start(self, limit: Limit) -> datetime:
        """When the current window of `limit` began."""
        return self._window_start(limit, self.clock.now())

    def _value(
        self,
        limit: Limit,
        request: Request,
        data: dict[str, Any] | None,
        account: dict[str, Any] | None,
    ) -> str | None:
        if limit.by == ADDRESS:
            return self.client_address(request)
        if limit.by in (EMAIL, EMAIL_AT_ADDRESS):
            email = (data or {}).get("email")
            if not isinstance(email, str):
                return None
            email = inputs.lookup_address(email)
            if limit.by == EMAIL:
                return email
            return f"{email} {self.client_address(request)}"
        return str(account["account_id"]) if account else None

    def _counter(self, limit: Limit, value: str) -> bytes:
        counter = f"{limit.name}:{limit.by}:{value}"
        return hmac.digest(self._key, counter.encode(), "sha256")[:16]

    @staticmethod
    def _window_start(limit: Limit, now: datetime) -> datetime:
        span = limit.window.total_seconds()
        return datetime.fromtimestamp(now.timestamp() // span * span, now.tzinfo)

    @staticmethod
    def _left(limit: Limit, start: datetime, now: datetime) -> int:
        return max(1, math.ceil((start + limit.window - now).total_seconds()))

    def _hit(self, limit: Limit, value: str, now: datetime) -> int:
        """This request counted; how many the window holds now."""
        with self._store() as conn:
            (hits,) = conn.execute(
                sql.SQL(
                    "INSERT INTO {0} AS t (counter, window_start, hits)"
                    " VALUES (%s, %s, 1) ON CONFLICT (counter, window_start)"
                    " DO UPDATE SET hits = t.hits + 1 RETURNING hits"
                ).format(self.table),
                (self._counter(limit, value), self._window_start(limit, now)),
            ).fetchone()
        return int(hits)

    def _sweep(self, now: datetime) -> None:
        with self._store() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE window_start < %s").format(self.table),
                (now - KEPT,),
            )


def create_table(settings: Settings, schema: str) -> None:
    """The counters' table, made once by whichever replica starts first."""
    with creating_tables(settings, schema):
        ensure_schema(settings, schema)
        with connect(settings) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (counter bytea NOT NULL,"
                    " window_start timestamptz NOT NULL, hits int NOT NULL,"
                    " PRIMARY KEY (counter, window_start))"
                ).format(sql.Identifier(schema, TABLE))
            )


class RateLimits(DependencyProvider):
    """Injects this process's RateLimiter."""

    def setup(self) -> None:
        settings = Settings.from_env()
        create_table(settings, settings.schema("gateway"))
        self.limiter = RateLimiter(
            settings.postgres_conninfo(),
            settings.schema("gateway"),
            settings.secret_key.get_secret_value(),
            clock_from_settings(settings.clock_offset_file),
            settings.trusted_proxy_hops,
        )

    def stop(self) -> None:
        self.limiter.close()

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> RateLimiter:
        return self.limiter
