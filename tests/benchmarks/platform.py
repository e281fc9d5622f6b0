"""What every benchmark sets up: its own RabbitMQ virtual host and PostgreSQL
schemas, the whole platform started as `pmc up` starts it when asked, and all
of it removed afterwards."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import requests

from pmc.launcher import Launcher
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings

MANAGEMENT = "http://guest:guest@127.0.0.1:15672/api"
PASSWORD = "Banc2026x"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# What a benchmark measures is the platform's work, not the waits it adds on
# purpose against abuse: every client of a benchmark comes from 127.0.0.1.
UNLIMITED = {
    "PMC_LIMIT_PER_ADDRESS_PER_MINUTE": "100000000",
    "PMC_LIMIT_SIGN_IN_FAILURES": "100000000",
    "PMC_LIMIT_MAILS_PER_EMAIL_PER_HOUR": "100000000",
    "PMC_STEADY_ANSWER_SECONDS": "0",
    # One school takes every seat of a session in some rounds.
    "PMC_HOLDS_PER_SESSION_PERCENT": "100",
    "PMC_HOLDS_PER_SCHOOL": "100000000",
}


@contextlib.contextmanager
def isolated(
    prefix: str, overrides: dict[str, str] | None = None
) -> Iterator[tuple[dict[str, str], Settings]]:
    """A virtual host and schemas of this run only; their environment."""
    run = secrets.token_hex(3)
    vhost = f"pmc-bench-{run}"
    requests.put(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{vhost}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()
    work = Path(f"/tmp/pmc-bench-{run}")
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
        "PMC_BENCH_VHOST": vhost,
        "POSTGRES_DBNAME": "pmc_bench",
        "PMC_SCHEMA_PREFIX": f"{prefix}{run}_",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "SMTP_PORT": str(free_port()),
        "PMC_MAIL_FOLDER": str(work / "mail"),
        "PMC_PRINT_FOLDER": str(work / "print"),
        **UNLIMITED,
        **(overrides or {}),
    }
    os.environ.update(env)
    settings = Settings.from_env()
    ensure_database(settings)
    try:
        yield env, settings
    finally:
        drop_schemas_with_prefix(settings, settings.schema_prefix)
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10)


@contextlib.contextmanager
def started(
    prefix: str, overrides: dict[str, str] | None = None
) -> Iterator[tuple[Launcher, Settings]]:
    """The whole platform, ready, on an isolated virtual host and schemas."""
    with isolated(prefix, overrides) as (env, settings):
        launcher = Launcher(settings, demo=False, mail=True, env=env)
        try:
            launcher.start()
            launcher.wait_ready(120)
            yield launcher, settings
        finally:
            launcher.stop()
