"""Test set-up shared by every test: eventlet first, then an isolated platform.

Every run gets its own PostgreSQL schemas (a random prefix) and its own RabbitMQ
virtual host, removed at the end, so runs never see each other's data. Tests use
the machine's real PostgreSQL and RabbitMQ; nothing of ours is mocked.
"""

import os

import eventlet

# nameko's pytest plugin no longer patches since 2.14: do it before any import.
# Page tests run in a pass of their own without eventlet, which Playwright's
# own event loop cannot live with (scripts/test.sh runs both passes).
if os.environ.get("PMC_TEST_PAGES") != "1":
    eventlet.monkey_patch()

import contextlib
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from pmc import launcher
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings
from tests import sharding
from tests.containers import Endpoints, docker_available, port_open, start_containers

RUN_ID = secrets.token_hex(4)
VHOST = f"pmc-test-{RUN_ID}"
_CONTAINERS = ExitStack()


def pytest_configure(config: pytest.Config) -> None:
    sharding.register_recorder(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """PMC_TEST_SHARD=k/n keeps the k-th of n shares of the test files."""
    shard = os.environ.get("PMC_TEST_SHARD")
    if shard:
        sharding.keep_share(config, items, shard)


def _endpoints() -> Endpoints:
    """The machine's own PostgreSQL and RabbitMQ, or containers as a fallback."""
    broker = os.environ.get("PMC_TEST_RABBIT_HOST", "127.0.0.1")
    local = Endpoints(
        postgres={},
        amqp_host=broker,
        amqp_port=5672,
        management_url=os.environ.get(
            "PMC_TEST_RABBIT_MANAGEMENT", f"http://guest:guest@{broker}:15672"
        ),
    )
    pg_host = os.environ.get("POSTGRES_HOST", "127.0.0.1")
    pg_port = int(os.environ.get("POSTGRES_PORT", "5432"))
    if port_open(pg_host, pg_port) and port_open(broker, 5672):
        return local
    if docker_available():
        return start_containers(_CONTAINERS)
    pytest.exit(
        "PostgreSQL and RabbitMQ must run locally (scripts/test.sh starts them), "
        "or a Docker engine must be available for testcontainers",
        returncode=3,
    )


def free_port() -> int:
    """A port to listen on, outside the ephemeral range (pmc/launcher.py)."""
    return launcher.free_port()


def _management(
    endpoints: Endpoints, method: str, path: str, body: dict | None = None
) -> requests.Response:
    url = f"{endpoints.management_url}/api/{path}"
    response = requests.request(method, url, json=body, timeout=10)
    response.raise_for_status()
    return response


@pytest.fixture(scope="session", autouse=True)
def platform_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment every process of this run reads its settings from."""
    endpoints = _endpoints()
    vhost = quote(VHOST, safe="")
    try:
        _management(endpoints, "PUT", f"vhosts/{vhost}")
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        _management(endpoints, "PUT", f"permissions/{vhost}/guest", everything)
    except requests.RequestException as exc:
        pytest.exit(
            "RabbitMQ's management API is needed to give this run its own vhost: "
            f"`rabbitmq-plugins enable rabbitmq_management` ({exc})",
            returncode=3,
        )
    workdir = tmp_path_factory.mktemp("platform")
    gateway_port = free_port()
    env = {
        **endpoints.postgres,
        "AMQP_URI": f"amqp://guest:guest@{endpoints.amqp_host}:"
        f"{endpoints.amqp_port}/{vhost}",
        "POSTGRES_DBNAME": os.environ.get("PMC_TEST_DBNAME", "pmc_test"),
        "PMC_SCHEMA_PREFIX": f"t{RUN_ID}_",
        "SMTP_PORT": str(free_port()),
        "PMC_MAIL_FOLDER": str(workdir / "mail"),
        "PMC_PRINT_FOLDER": str(workdir / "print-queue"),
        "PMC_SMS_FOLDER": str(workdir / "sms"),
        "PMC_REGISTERED_LETTER_FOLDER": str(workdir / "lettres-recommandees"),
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{gateway_port}",
        "PMC_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
        "PMC_RETRY_DELAYS": "0.2,0.4",
        # Requests past their deadline end within a second of the clock's move.
        "PMC_IDENTITY_DEADLINE_SWEEP_SECONDS": "1",
        # Reminders two days before an exam go within a second of the clock's move.
        "PMC_REMINDER_SWEEP_SECONDS": "1",
        "PMC_RESULTS_RELEASE_SWEEP_SECONDS": "1",
        "PMC_CLOCK_OFFSET_FILE": str(workdir / "clock-offset"),
        # The card simulator's hosted fields (the page's tokens), run by the
        # stack as `pmc up` runs them.
        "PMC_CARD_SIMULATOR_ADDRESS": f"127.0.0.1:{free_port()}",
        # Every test's requests come from 127.0.0.1: a limit per address
        # would count them all together (tests/gateway/test_limits.py checks
        # it on a limiter of its own).
        "PMC_LIMIT_PER_ADDRESS_PER_MINUTE": "100000",
        # As behind the ingress: a test says where it comes from with
        # X-Forwarded-For (the sign-in tests, from two addresses).
        "PMC_TRUSTED_PROXY_HOPS": "1",
        # Every test signs up and in: a shorter floor than production's keeps
        # the suite's time (the floor itself is the same code).
        "PMC_STEADY_ANSWER_SECONDS": "0.05",
        # Argon2's cheapest parameters: the same code, without 0.2 s of CPU
        # for each of the suite's sign-ups, sign-ins and wrong passwords
        # (tests/benchmarks keep production's).
        "PMC_PASSWORD_HASHING": "CHEAPEST",
    }
    if endpoints.in_containers:
        env["PMC_TEST_IN_CONTAINERS"] = "1"
    os.environ.update(env)
    settings = Settings.from_env()
    ensure_database(settings)
    yield {**os.environ, **env}
    drop_schemas_with_prefix(settings, settings.schema_prefix)
    with contextlib.suppress(requests.RequestException):
        _management(endpoints, "DELETE", f"vhosts/{vhost}")
    _CONTAINERS.close()


@pytest.fixture(scope="session")
def settings(platform_env: dict[str, str]) -> Settings:
    return Settings.from_env()


@pytest.fixture
def mail_folder(settings: Settings) -> Path:
    return Path(settings.mail_folder)


@pytest.fixture
def sms_folder(settings: Settings) -> Path:
    return Path(settings.sms_folder)


@pytest.fixture
def registered_letter_folder(settings: Settings) -> Path:
    return Path(settings.registered_letter_folder)
