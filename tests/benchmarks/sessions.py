"""Sessions benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.sessions [--seconds 10] [--clients 20]

Authenticated requests (GET /api/panier: the token checked in the gateway, one
call to booking) with no sign-in going on, then the same while `--clients`
clients sign in without pause (argon2 in identity), with the latency of
identity's other requests (GET /api/compte: one profile call) meanwhile.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import requests

from pmc.launcher import Launcher
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings
from tests.benchmarks.booking import MANAGEMENT, PASSWORD, free_port, school


def hammer(
    url: str,
    seconds: float,
    clients: int,
    request: str = "GET",
    **kwargs: object,
) -> tuple[list[float], Counter]:
    """`clients` threads sending the same request for `seconds`."""
    latencies: list[float] = []
    answers: Counter = Counter()
    deadline = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as http:
            while time.monotonic() < deadline:
                start = time.monotonic()
                status = http.request(request, url, timeout=60, **kwargs).status_code
                latencies.append(time.monotonic() - start)
                answers[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, answers


def report(label: str, seconds: float, latencies: list[float], answers) -> None:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        f"{label}: {len(latencies) / seconds:7.1f}/s, p50 {q[49] * 1000:6.0f} ms,"
        f" p99 {q[98] * 1000:6.0f} ms, answers {dict(answers)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    run = secrets.token_hex(3)
    vhost = f"pmc-bench-{run}"
    requests.put(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{vhost}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()
    port = free_port()
    work = Path(f"/tmp/pmc-bench-{run}")
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
        "POSTGRES_DBNAME": "pmc_bench",
        "PMC_SCHEMA_PREFIX": f"bs{run}_",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "SMTP_PORT": str(free_port()),
        "PMC_MAIL_FOLDER": str(work / "mail"),
        "PMC_PRINT_FOLDER": str(work / "print"),
    }
    os.environ.update(env)
    settings = Settings.from_env()
    ensure_database(settings)
    launcher = Launcher(settings, demo=False, mail=True, env=env)
    try:
        launcher.start()
        launcher.wait_ready(120)
        gateway = launcher.gateway_url
        _, email = school(settings)
        credentials = {"email": email, "password": PASSWORD}
        token = requests.post(f"{gateway}/api/sessions", json=credentials).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        seconds, clients = args.seconds, args.clients

        quiet = hammer(f"{gateway}/api/panier", seconds, clients, headers=headers)
        report(f"GET /api/panier, {clients} clients, no sign-in", seconds, *quiet)

        results: dict[str, tuple[list[float], Counter]] = {}

        def run(label: str, *a: object, **kw: object) -> None:
            results[label] = hammer(*a, **kw)  # type: ignore[arg-type]

        jobs = [
            (
                "POST /api/sessions (sign-ins)",
                (f"{gateway}/api/sessions", seconds, clients, "POST"),
                {"json": credentials},
            ),
            (
                "GET /api/compte, meanwhile (identity.profile)",
                (f"{gateway}/api/compte", seconds, 2),
                {"headers": headers},
            ),
            (
                "GET /api/panier, meanwhile",
                (f"{gateway}/api/panier", seconds, 2),
                {"headers": headers},
            ),
        ]
        threads = [
            threading.Thread(target=run, args=(label, *a), kwargs=kw)
            for label, a, kw in jobs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for label, _, _ in jobs:
            report(label, seconds, *results[label])
    finally:
        launcher.stop()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10)


if __name__ == "__main__":
    main()
