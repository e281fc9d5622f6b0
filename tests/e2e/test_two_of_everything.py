"""Two of everything (OP-2): two processes of every service and two relays on one
RabbitMQ and one PostgreSQL, with classic event queues, then quorum ones.
Schools hold seats and pay by card through the gateway while one process of
each kind is SIGKILLed: nothing is lost or done twice, every paid seat is
confirmed once, no seat is oversold, and the standby relay and mail sender take
over from the leaders that were killed.

Each platform is this module's own (virtual host, schemas, ports, mail
folder): a queue first declared classic cannot be declared again as a quorum
queue.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote
from uuid import UUID

import pytest
import requests

from pmc import registry
from pmc.launcher import Launcher
from services.billing.provider import APPROVED_TOKEN
from services.common.db import connect, drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings
from services.common.topology import queue_depths
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE
from services.scheduling.projections import SessionBoardView
from tests.benchmarks.booking import Fixtures
from tests.benchmarks.platform import free_port
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.helpers import mails_to, wait_for

SCHOOLS = 12
FILES = 3  # candidates per school
SCARCE = 10  # seats of the session every candidate tries first
CONVOCATION = "Votre convocation à l'examen du code de la route"
THANKS = "Vos inscriptions sont confirmées"
SEAT_TAKEN = "Ce candidat a déjà une place réservée pour un examen à venir."


def _management(method: str, path: str, body: dict | None = None):
    base = os.environ.get(
        "PMC_TEST_RABBIT_MANAGEMENT", "http://guest:guest@127.0.0.1:15672"
    )
    answer = requests.request(method, f"{base}/api/{path}", json=body, timeout=10)
    answer.raise_for_status()
    return answer


@pytest.fixture(scope="module", params=["classic", "quorum"])
def twins(
    request, platform_env, tmp_path_factory
) -> Iterator[tuple[Launcher, Settings]]:
    """The platform, two of everything, with event queues of either type."""
    run = secrets.token_hex(3)
    vhost = quote(f"pmc-twins-{run}", safe="")
    _management("PUT", f"vhosts/{vhost}")
    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    _management("PUT", f"permissions/{vhost}/guest", everything)
    work = tmp_path_factory.mktemp("twins")
    port = free_port()
    env = {
        **platform_env,
        "AMQP_URI": f"{platform_env['AMQP_URI'].rsplit('/', 1)[0]}/{vhost}",
        "PMC_QUORUM_QUEUES": "1" if request.param == "quorum" else "",
        "PMC_SCHEMA_PREFIX": f"{platform_env['PMC_SCHEMA_PREFIX']}w{run}_",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "PMC_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SMTP_PORT": str(free_port()),
        "PMC_MAIL_FOLDER": str(work / "mail"),
        "PMC_PRINT_FOLDER": str(work / "print-queue"),
        "PMC_CLOCK_OFFSET_FILE": "",
        "PMC_CARD_SIMULATOR_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    settings = Settings.from_env(env)
    ensure_database(settings)
    launcher = Launcher(settings, demo=False, mail=True, env=env, instances=2)
    try:
        launcher.start()
        launcher.wait_ready(timeout=120)
        yield launcher, settings
    finally:
        launcher.stop()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
        _management("DELETE", f"vhosts/{vhost}")


# -- who leads ------------------------------------------------------------------


def relay_keys(settings: Settings) -> list[str]:
    """The advisory lock of each relay follower (services/common/follower.py)."""
    return [
        f"{settings.schema(name)}.relay"
        for name in registry.APPLICATIONS
        if registry.application_class(name).published
    ]


def mailer_keys(settings: Settings) -> list[str]:
    """The advisory lock of each of the notifier's senders: one per lane, bulk
    and accounts (services/notifier/mailer.py)."""
    schema = settings.schema("notifier")
    return [f"{schema}.mailer", f"{schema}.account-mailer"]


def leaders(settings: Settings, keys: list[str]) -> dict[str, str | None]:
    """The process (its label, as its application_name) holding each lock."""
    query = """
        SELECT k.key, a.application_name
        FROM unnest(%s::text[]) AS k(key)
        LEFT JOIN pg_locks l
          ON l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database
                            WHERE datname = current_database())
          AND l.classid = ((hashtext(k.key)::bigint >> 32) & 4294967295)::oid
          AND l.objid = (hashtext(k.key)::bigint & 4294967295)::oid
        LEFT JOIN pg_stat_activity a ON a.pid = l.pid
    """
    with connect(settings) as conn:
        return dict(conn.execute(query, (keys,)).fetchall())


# -- traffic --------------------------------------------------------------------


# What the kills did to requests in flight (shown when the test fails).
RETRIED: Counter[str] = Counter()


def answered(call: Callable[[], requests.Response], done=None) -> requests.Response:
    """`call` again until a process answers for good: a killed gateway resets
    the connection, a request caught in a killed service answers 5xx."""
    done = done or (lambda answer: answer.status_code < 500)
    deadline = time.monotonic() + 90
    while True:
        try:
            answer = call()
            if done(answer) or time.monotonic() > deadline:
                return answer
            RETRIED[str(answer.status_code)] += 1
        except requests.RequestException as exc:
            if time.monotonic() > deadline:
                raise
            RETRIED[type(exc).__name__] += 1
        time.sleep(0.3)


class School:
    """One school's traffic: hold a seat for each of its candidates, then pay."""

    def __init__(self, gateway: str, email: str, token: str, nephs: list[str]):
        self.gateway = gateway
        self.email = email
        self.headers = {"Authorization": f"Bearer {token}"}
        self.nephs = nephs
        self.paid: requests.Response | None = None

    def hold(self, neph: str, sessions: list[str], held: list[str]) -> None:
        for session_id in sessions:
            answer = answered(
                lambda session_id=session_id: requests.post(
                    f"{self.gateway}/api/panier",
                    json={"neph": neph, "session": session_id},
                    headers=self.headers,
                    timeout=30,
                )
            )
            body = answer.json()
            # After a lost answer, the retry finds the seat the first try took.
            if answer.status_code == 201 or body.get("message") == SEAT_TAKEN:
                held.append(neph)
                return
            assert body.get("code") == "complet", answer.text
        raise AssertionError(f"no seat for {neph}")

    def pay(self) -> None:
        # One key for every retry: billing charges the cart once.
        key = f"twins-{secrets.token_hex(4)}"
        self.paid = answered(
            lambda: requests.post(
                f"{self.gateway}/api/paiement/carte",
                json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": key},
                headers=self.headers,
                timeout=30,
            ),
            done=lambda answer: answer.status_code in (201, 400, 402, 409),
        )

    def get(self, path: str) -> list[dict]:
        answer = answered(
            lambda: requests.get(
                f"{self.gateway}{path}", headers=self.headers, timeout=30
            )
        )
        return answer.json()["items"]


# -- the test -------------------------------------------------------------------


def test_two_of_everything_survive_one_of_each_killed(twins):
    launcher, settings = twins
    RETRIED.clear()
    fixtures = Fixtures(settings)
    try:
        _run(launcher, settings, fixtures)
    finally:
        fixtures.close()


def _run(launcher: Launcher, settings: Settings, fixtures: Fixtures) -> None:
    site = centre(fixtures.scheduling, "TWINS", "Lyon", 45.76, 4.84)
    sessions = [
        fixtures.scheduling.schedule_session(site, next_weekday(1), SCARCE, COLLECTIVE),
        fixtures.scheduling.schedule_session(site, next_weekday(2), 18, COLLECTIVE),
        fixtures.scheduling.schedule_session(site, next_weekday(3), 18, COLLECTIVE),
    ]
    session_ids = [s["id"] for s in sessions]
    accounts = fixtures.accounts(SCHOOLS)
    schools, owners = [], []
    for n, account in enumerate(accounts):
        token = fixtures.identity.sessions.issue(
            account.id, account.session_generation, fixtures.identity.clock.now()
        )["token"]
        school = {"account": {"account_id": str(account.id)}, "email": account.email}
        nephs = activated_files(fixtures.candidates, school, FILES, first=n * FILES)
        schools.append(School(launcher.gateway_url, account.email, token, nephs))
        owners += [str(account.id)] * FILES
    every_neph = [neph for school in schools for neph in school.nephs]
    assert fixtures.wait_known(owners, every_neph, session_ids)

    held: list[str] = []
    killed = threading.Event()
    # The first half pays as soon as its seats are held, across the kills; the
    # second half pays after them, on the surviving processes alone.
    late = schools[SCHOOLS // 2 :]

    def traffic(school: School) -> None:
        for neph in school.nephs:
            school.hold(neph, session_ids, held)
        if school in late:
            killed.wait(120)
        school.pay()

    with ThreadPoolExecutor(SCHOOLS) as pool:
        running = [pool.submit(traffic, school) for school in schools]
        wait_for(
            lambda: len(held) >= len(every_neph) // 3 or any(f.done() for f in running),
            timeout=60,
        )
        for future in running:
            if future.done():
                future.result()  # raises what stopped a school too early
        victims = _kill_one_of_each(launcher, settings)
        killed.set()
        for future in running:
            future.result(timeout=150)

    print(f"killed {sorted(victims.values())}; requests retried: {dict(RETRIED)}")
    survivors = {kind: _other(label) for kind, label in victims.items()}
    # The standby relay and mail senders lead now, every lock of theirs.
    wait_for(
        lambda: (
            set(leaders(settings, relay_keys(settings)).values())
            == {survivors["relay"]}
        ),
        timeout=30,
    )
    wait_for(
        lambda: (
            set(leaders(settings, mailer_keys(settings)).values())
            == {survivors["notifier"]}
        ),
        timeout=30,
    )
    _check_outcome(settings, fixtures, schools, sessions)


def _kill_one_of_each(launcher: Launcher, settings: Settings) -> dict[str, str]:
    """SIGKILL one process of each kind: the relay and the notifier that lead
    (so that their standby must take over), #1 of the others."""
    relay = Counter(leaders(settings, relay_keys(settings)).values())
    relay.pop(None, None)
    assert relay, "no relay leads"
    # The bulk lane's sender: the one sending the burst.
    mailer = mailer_keys(settings)[0]
    victims = {name: f"{name}#1" for name in registry.SERVICE_CLASSES}
    victims["relay"] = relay.most_common(1)[0][0]
    victims["notifier"] = leaders(settings, [mailer])[mailer] or "notifier#1"
    for label in victims.values():
        launcher.kill(label)
    return victims


def _other(label: str) -> str:
    name, number = label.split("#")
    return f"{name}#{2 if number == '1' else 1}"


def _check_outcome(
    settings: Settings,
    fixtures: Fixtures,
    schools: list[School],
    sessions: list[dict],
) -> None:
    for school in schools:
        assert school.paid is not None and school.paid.status_code == 201, (
            school.paid.text if school.paid is not None else "not paid"
        )
    # Every paid seat confirmed, and once.
    for school in schools:
        rows = wait_for(lambda school=school: _all_confirmed(school), timeout=60)
        assert sorted(r["neph"] for r in rows) == sorted(school.nephs)
        for row in rows:
            history = fixtures.booking.aggregate_history(UUID(row["id"]))
            kinds = [type(e).__qualname__ for e in history]
            assert kinds.count("Reservation.Confirmed") == 1, kinds
        # One payment per checkout, of the whole cart.
        payments = school.get("/api/paiements")
        assert [(p["status"], p["amount_cents"]) for p in payments] == [
            ("payé", FILES * settings.seat_price_cents)
        ]
    # No seat sold twice or beyond a session's capacity; the scarce one is full.
    session_ids = [s["id"] for s in sessions]
    assert fixtures.oversold(session_ids) == 0
    scarce = fixtures.booking.repository.get(UUID(session_ids[0]))
    assert len(scarce.holders) == SCARCE
    # Each convocation e-mailed once, each school thanked once (the mail catcher
    # keeps one copy per Message-ID: a send repeated after a kill is not new).
    folder = Path(settings.mail_folder)
    expected = {school.email: THANKS for school in schools}
    expected |= {_address(neph): CONVOCATION for s in schools for neph in s.nephs}
    wait_for(
        lambda: all(_subjects(folder, a)[subject] for a, subject in expected.items()),
        timeout=60,
    )
    for address, subject in expected.items():
        assert _subjects(folder, address)[subject] == 1, address
    # The relay published every event: the search shows booking's seats left.
    board = fixtures.scheduling
    view = SessionBoardView(board.datastore, "session_board")
    board.views["session_board"] = view
    for session in sessions:
        seats = fixtures.booking.repository.get(UUID(session["id"]))
        left = seats.seats - len(seats.holders)
        wait_for(lambda s=session, n=left: _free_seats(board, s) == n, timeout=30)
    # Nothing given up on: no dead letter behind any handler.
    dead = [f"{s.queue_name}.dead" for s in registry.subscriptions()]
    assert sum(queue_depths(settings.amqp_uri, dead).values()) == 0
    # The event queues are of the type asked for.
    vhost = settings.amqp_uri.rsplit("/", 1)[1]  # quoted already
    types = {
        q["name"]: q["type"]
        for q in _management("GET", f"queues/{vhost}").json()
        if q["name"].startswith("evt-")
    }
    wanted = "quorum" if settings.quorum_queues else "classic"
    assert types and set(types.values()) == {wanted}, types


def _all_confirmed(school: School) -> list[dict] | None:
    rows = school.get("/api/reservations")
    return rows if {r["status"] for r in rows} == {"confirmée"} else None


def _address(neph: str) -> str:
    """The e-mail `activated_files` gave the candidate of this NEPH."""
    return f"siege{int(neph[1:])}@example.fr"


def _free_seats(scheduling: SchedulingApplication, session: dict) -> int:
    return scheduling.session(UUID(session["id"]))["free_seats"]


def _subjects(folder: Path, address: str) -> Counter:
    return Counter(m["Subject"] for m in mails_to(folder, address))
