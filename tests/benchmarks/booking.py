"""Booking benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.booking [--holds 400]

Holds per second and latency through the gateway (HTTP → gateway → booking →
candidates and scheduling over RPC) with 50 and then 200 concurrent clients,
the seats sold beyond capacity (must be 0), and the same holds made in-process
(the applications called directly, no HTTP, no RPC) for the ratio.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import requests

from pmc.launcher import Launcher
from services.booking.application import BookingApplication
from services.candidates.application import ACTIVATION, CandidatesApplication
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings
from services.identity.application import IdentityApplication
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE, PARIS, ExamCentre, SessionFull

MANAGEMENT = "http://guest:guest@127.0.0.1:15672/api"
PASSWORD = "Banc2026x"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def school(settings: Settings) -> tuple[str, str]:
    app = IdentityApplication(settings=settings)
    email = f"banc-{secrets.token_hex(3)}@example.fr"
    created = app.sign_up(
        {
            "email": email,
            "password": PASSWORD,
            "civility": "M",
            "last_name": "Banc",
            "first_name": "Essai",
            "phone": "0612345678",
            "company_name": "Banc d'essai",
            "siret": "73282932000074",
            "address": {"street": "1 rue", "postal_code": "69001", "city": "Lyon"},
        }
    )
    account = app.repository.get(UUID(created["account_id"]))
    account.activate(account.activation_nonce, app.clock.now())
    app.save(account)
    app.close()
    return created["account_id"], email


def candidates(
    settings: Settings, school_id: str, email: str, count: int, first: int
) -> list[dict]:
    app = CandidatesApplication(settings=settings)
    files = []
    for i in range(count):
        file = app.create_file(
            school_id,
            email,
            {
                "neph": f"3{first + i:011d}",
                "civility": "M",
                "birth_name": f"Banc{i}",
                "given_names": "Essai",
                "birth_date": "2004-01-01",
                "email": f"banc{first + i}@example.fr",
            },
        )
        aggregate = app.repository.get(UUID(file["id"]))
        app.confirm(
            aggregate.id,
            app.links.token(ACTIVATION, aggregate.id, aggregate.activation_nonce),
        )
        files.append(app.view(app.repository.get(aggregate.id)))
    app.close()
    return files


def sessions(app: SchedulingApplication, code: str, count: int) -> list[str]:
    app.register_centre(
        {
            "code": code,
            "name": f"Centre {code}",
            "address": "1 rue",
            "postal_code": "69001",
            "city": "Lyon",
            "departement": "69",
            "latitude": 45.76,
            "longitude": 4.84,
            "pmr": True,
            "opening_hours": "",
        }
    )
    day = datetime.now(PARIS).date() + timedelta(days=8)
    while day.weekday() == 6:
        day += timedelta(days=1)
    return [
        app.schedule_session(
            ExamCentre.create_id(code),
            datetime.combine(day, clock_time(8 + i % 10), PARIS) + timedelta(minutes=0),
            18,
            COLLECTIVE,
        )["id"]
        for i in range(count)
    ]


def oversold(app: SchedulingApplication, session_ids: list[str]) -> int:
    total = 0
    for session_id in session_ids:
        session = app.repository.get(UUID(session_id))
        total += max(0, len(session.holders) - session.seats)
    return total


def through_gateway(
    gateway: str, token: str, files: list[dict], session_ids: list[str], clients: int
) -> tuple[float, list[float], Counter]:
    latencies: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    http = threading.local()

    def one(i: int) -> None:
        if not hasattr(http, "session"):
            http.session = requests.Session()
            http.session.headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        answer = http.session.post(
            f"{gateway}/api/panier",
            json={
                "neph": files[i]["neph"],
                "session": session_ids[i % len(session_ids)],
            },
            timeout=120,
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            outcomes[answer.status_code] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(len(files))))
    return len(files) / (time.perf_counter() - started), latencies, outcomes


def in_process(
    settings: Settings,
    school_id: str,
    files: list[dict],
    session_ids: list[str],
    clients: int,
) -> float:
    scheduling = SchedulingApplication(settings=settings)
    booking = BookingApplication(settings=settings)
    views = {sid: scheduling.session(UUID(sid)) for sid in session_ids}

    def one(i: int) -> None:
        session = views[session_ids[i % len(session_ids)]]
        reservation = booking.hold(school_id, files[i], session)
        try:
            scheduling.hold(UUID(session["id"]), reservation["id"], files[i]["id"])
        except SessionFull:
            booking.release(school_id, UUID(reservation["id"]), "complet")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(len(files))))
    rate = len(files) / (time.perf_counter() - started)
    scheduling.close()
    booking.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holds", type=int, default=400)
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
        "PMC_SCHEMA_PREFIX": f"bb{run}_",
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
        school_id, email = school(settings)
        token = requests.post(
            f"{launcher.gateway_url}/api/sessions",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        ).json()["token"]
        scheduling = SchedulingApplication(settings=settings)
        capacity_sessions = max(1, (args.holds * 9 // 10) // 18)
        print(f"{args.holds} holds per run on {capacity_sessions} sessions of 18 seats")
        rates: dict[int, float] = {}
        for n, clients in enumerate((50, 200)):
            files = candidates(
                settings, school_id, email, args.holds, first=n * 100_000
            )
            ids = sessions(scheduling, f"BANC-{n}", capacity_sessions)
            rate, latencies, outcomes = through_gateway(
                launcher.gateway_url, token, files, ids, clients
            )
            rates[clients] = rate
            q = statistics.quantiles(latencies, n=100)
            print(
                f"gateway, {clients:3d} clients: {rate:6.1f} holds/s,"
                f" p50 {q[49] * 1000:6.0f} ms,"
                f" p99 {q[98] * 1000:6.0f} ms, answers {dict(outcomes)},"
                f" oversold seats {oversold(scheduling, ids)}"
            )
        files = candidates(settings, school_id, email, args.holds, first=900_000)
        ids = sessions(scheduling, "BANC-IN", capacity_sessions)
        local = in_process(settings, school_id, files, ids, 50)
        print(
            f"in-process,  50 threads: {local:6.1f} holds/s, oversold seats "
            f"{oversold(scheduling, ids)}"
        )
        print(f"gateway (50 clients) / in-process: {rates[50] / local:.2f}")
        scheduling.close()
    finally:
        launcher.stop()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10)


if __name__ == "__main__":
    main()
