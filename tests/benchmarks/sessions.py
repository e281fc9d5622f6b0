"""Sessions benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.sessions [--seconds 10] [--clients 20]

Authenticated requests (GET /api/panier: the token checked in the gateway, one
call to booking) with no sign-in going on, then the same while `--clients`
clients sign in without pause (argon2 in identity), with the latency of
identity's other requests (GET /api/compte: one profile call) meanwhile.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter

import requests

from pmc.launcher import Launcher
from tests.benchmarks import platform
from tests.benchmarks.booking import Fixtures


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
    with platform.started("bs") as (launcher, settings):
        fixtures = Fixtures(settings)
        try:
            measure(args, launcher, fixtures)
        finally:
            fixtures.close()


def measure(args: argparse.Namespace, launcher: Launcher, fixtures: Fixtures) -> None:
    """Authenticated requests alone, then while schools sign in."""
    gateway = launcher.gateway_url
    email = fixtures.accounts(1)[0].email
    credentials = {"email": email, "password": platform.PASSWORD}
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


if __name__ == "__main__":
    main()
