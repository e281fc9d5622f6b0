"""The rate limiter on the real PostgreSQL: counted per address, e-mail or
school across every replica, windows that end, no e-mail kept in clear."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.limits import (
    MAILS,
    LimitsUnavailable,
    RateLimited,
    RateLimiter,
    by_address,
    create_table,
)
from services.common.clock import FrozenClock
from services.common.db import connect
from tests.benchmarks.platform import free_port


class Limits:
    limit_per_address = 3
    limit_mails_per_email = 2


@pytest.fixture
def schema(settings):
    name = f"{settings.schema_prefix}limits_{uuid4().hex[:8]}"
    yield name
    with connect(settings) as admin:
        admin.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
        )


@pytest.fixture
def clock():
    return FrozenClock(datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC))


def _limiter(settings, schema, clock, hops=0) -> RateLimiter:
    create_table(settings, schema)
    return RateLimiter(settings.postgres_conninfo(), schema, "k", clock, hops)


def _request(remote: str = "203.0.113.7", forwarded: str | None = None) -> Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = EnvironBuilder(
        path="/api/sessions", headers=headers, environ_base={"REMOTE_ADDR": remote}
    ).get_environ()
    return Request(environ)


def test_an_address_over_its_limit_waits_for_the_window_to_end(settings, schema, clock):
    limiter = _limiter(settings, schema, clock)
    limit = (by_address("connexion"),)
    for _ in range(3):
        limiter.check(limit, Limits, _request(), None, None)
    with pytest.raises(RateLimited) as refused:
        limiter.check(limit, Limits, _request(), None, None)
    assert refused.value.seconds == 30  # what is left of the minute
    answer = refused.value.response()
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "30"
    assert "réessayez dans une minute" in answer.get_json()["message"]
    # Another address is not slowed by it; the next minute starts afresh.
    limiter.check(limit, Limits, _request("198.51.100.1"), None, None)
    clock.advance(timedelta(seconds=30))
    limiter.check(limit, Limits, _request(), None, None)
    limiter.close()


def test_two_replicas_share_the_count(settings, schema, clock):
    one, two = _limiter(settings, schema, clock), _limiter(settings, schema, clock)
    data = {"email": "zoé@école.fr"}
    one.check((MAILS,), Limits, _request(), data, None)
    two.check(
        (MAILS,), Limits, _request("198.51.100.9"), {"email": " ZOÉ@École.FR "}, None
    )
    with pytest.raises(RateLimited):
        one.check((MAILS,), Limits, _request(), data, None)
    # The table keeps keyed hashes, not the address nor the e-mail.
    with psycopg.connect(settings.postgres_conninfo()) as conn:
        rows = conn.execute(
            sql.SQL("SELECT t::text FROM {} t").format(
                sql.Identifier(schema, "rate_limits")
            )
        ).fetchall()
    assert rows and not any("cole" in r[0] or "203.0" in r[0] for r in rows)
    one.close()
    two.close()


def test_forwarded_addresses_count_only_behind_trusted_proxies(settings, schema, clock):
    spoofed = _request("10.0.0.5", forwarded="1.2.3.4, 203.0.113.50")
    trusting_none = _limiter(settings, schema, clock, hops=0)
    assert trusting_none.client_address(spoofed) == "10.0.0.5"
    behind_ingress = _limiter(settings, schema, clock, hops=1)
    # The ingress appends what it saw; what the client wrote before is ignored.
    assert behind_ingress.client_address(spoofed) == "203.0.113.50"
    assert behind_ingress.client_address(_request("10.0.0.5")) == "10.0.0.5"
    trusting_none.close()
    behind_ingress.close()


def test_unreachable_counters_refuse_the_request_within_seconds(clock):
    """Fails closed, and soon: no request goes uncounted, none waits out its
    whole deadline for a database that is not there."""
    nowhere = f"host=127.0.0.1 port={free_port()} dbname=pmc user=pmc"
    limiter = RateLimiter(nowhere, "limits", "k", clock, 0)
    try:
        started = time.monotonic()
        with pytest.raises(LimitsUnavailable):
            limiter.check(
                (by_address("/api/sessions"),), Limits, _request(), None, None
            )
        assert time.monotonic() - started < 10
    finally:
        limiter.close()
