"""Booking benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.booking [--clients 200] [--seconds 10] [--rounds 3]
                                       [--rate 100] [--busy-schools 200] [--cpu]

On the whole platform started as `pmc up` starts it, from one run:
1. the one-RPC ceiling: a trivial authenticated request (GET /api/paiements:
   one RPC, one small read) through the gateway, with the same number of
   closed-loop clients;
2. holds/s at saturation with those clients (POST /api/panier), from
   `--busy-schools` schools in turn, and its
   ratio to the ceiling; 1 and 2 alternate for `--rounds` rounds of
   `--seconds` each (the machine is shared and its speed drifts within
   minutes): every round is printed, and the medians;
3. an open loop: holds offered at a fixed rate, with p50/p99;
4. 200 concurrent holds on one session of 18 seats;
5. a flash crowd: 1,000 schools, 50 sessions of 18 seats opened at once, each
   school trying sessions until it holds a seat or all are full: the seconds
   until every seat is sold and every request answered;
and the seats sold beyond capacity (must be 0), from booking's own store.
With `--cpu`, each round also prints the CPU milliseconds per request of each
process kind (a hold's include its relaying and its read models catching up).
The notifier is halted during the run (its e-mails are not what is measured).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from uuid import UUID, uuid4

from pmc.launcher import Launcher
from services.booking.application import BookingApplication
from services.booking.seats import BookableCandidate, SessionSeats
from services.candidates.application import CandidatesApplication
from services.candidates.domain import CandidateFile, NephClaim
from services.common.settings import Settings
from services.identity.application import IdentityApplication
from services.identity.domain import SCHOOL, Account, EmailClaim
from services.scheduling.application import SchedulingApplication
from services.scheduling.domain import COLLECTIVE, PARIS, ExamCentre, SchedulingError
from tests.benchmarks import platform
from tests.benchmarks.cpu import per_request as cpu_of
from tests.benchmarks.load import Request, closed_loop, for_seconds, open_loop

SEATS = 18


@dataclass(frozen=True)
class BenchAccount:
    """A school account as the benchmarks use it (its contact's data is
    sealed in identity's store)."""

    id: UUID
    email: str
    session_generation: int


class Fixtures:
    """Schools, activated files and sessions, written straight to the stores
    (in batches: the benchmark measures booking, not their creation)."""

    def __init__(self, settings: Settings) -> None:
        self.identity = IdentityApplication(settings=settings)
        self.candidates = CandidatesApplication(settings=settings)
        self.scheduling = SchedulingApplication(settings=settings)
        self.booking = BookingApplication(
            settings=settings, env={"AGGREGATE_CACHE_MAXSIZE": ""}
        )
        self.password_hash = self.identity.passwords.hash(platform.PASSWORD)
        self.nephs = itertools.count(10**11)

    def accounts(self, count: int) -> list[BenchAccount]:
        """Activated school accounts, who sign in with `platform.PASSWORD`."""
        now = self.identity.clock.now()
        accounts, saved = [], []
        for _ in range(count):
            email = f"banc-{secrets.token_hex(6)}@example.fr"
            account_id = uuid4()
            contact = {
                "email": email,
                "address": {"street": "1 rue", "postal_code": "69001", "city": "Lyon"},
            }
            account = Account.register(
                account_id=account_id,
                kind=SCHOOL,
                password_hash=self.password_hash,
                company={"company_name": "Banc d'essai", "siret": "73282932000074"},
                personal=self.identity.vault.seal(account_id, contact),
                nonce="n",
                at=now,
            )
            account.activate("n", now)
            accounts.append(BenchAccount(account.id, email, account.session_generation))
            digest = self.identity.email_digest(email)
            saved += [account, EmailClaim(digest=digest, account_id=account.id)]
        for start in range(0, len(saved), 200):
            self.identity.save(*saved[start : start + 200])
        return accounts

    def schools(self, count: int) -> list[str]:
        """A bearer token for each of `count` new schools."""
        now = self.identity.clock.now()
        return [
            self.identity.sessions.issue(a.id, a.session_generation, now)["token"]
            for a in self.accounts(count)
        ]

    def files(self, school_id: str, count: int) -> list[str]:
        """Activated candidate files of a school: their NEPHs."""
        now = self.candidates.clock.now()
        nephs, batch = [], []
        for _ in range(count):
            neph = f"{next(self.nephs):012d}"
            file = CandidateFile.create(
                file_id=uuid4(),
                school_id=school_id,
                school_email="banc@example.fr",
                neph=neph,
                personal="",
                contact="courrier",
                nonce="n",
                at=now,
            )
            file.confirm("n", now)
            batch += [file, NephClaim(neph=neph, candidate_id=file.id)]
            nephs.append(neph)
            if len(batch) >= 200:
                self.candidates.save(*batch)
                batch = []
        if batch:
            self.candidates.save(*batch)
        return nephs

    def sessions(self, count: int) -> list[str]:
        """Sessions of 18 seats, each at its own hour, from next week on."""
        code = f"BANC-{secrets.token_hex(3)}"
        if not hasattr(self, "_centre"):
            self.scheduling.register_centre(
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
            self._centre = ExamCentre.create_id(code)
        made = []
        # Several sessions share a slot: all within the bookable 3 months.
        for n in itertools.count():
            if len(made) >= count:
                break
            day = datetime.now(PARIS).date() + timedelta(days=8 + n % 60)
            starts = datetime.combine(day, clock_time(8 + n // 60 % 10), PARIS)
            try:
                made.append(
                    self.scheduling.new_session(self._centre, starts, SEATS, COLLECTIVE)
                )
            except SchedulingError:
                continue  # a Sunday or a public holiday
        self.scheduling.save(*made)
        return [str(s.id) for s in made]

    def wait_known(self, school_ids: list[str], nephs: list[str], sessions: list[str]):
        """Until booking has heard (through the relay) of every file and session."""
        deadline = time.monotonic() + 120
        pending = {
            BookableCandidate.create_id(s, n)
            for s, n in zip(school_ids, nephs, strict=True)
        }
        pending |= {SessionSeats.create_id(UUID(s)) for s in sessions}
        while pending and time.monotonic() < deadline:
            for aggregate_id in list(pending)[:500]:
                try:
                    self.booking.repository.get(aggregate_id)
                    pending.discard(aggregate_id)
                except Exception:
                    time.sleep(0.05)
                    break
        return not pending

    def oversold(self, sessions: list[str]) -> int:
        total = 0
        for session_id in sessions:
            seats = self.booking.repository.get(UUID(session_id))
            total += max(0, len(seats.holders) - seats.seats)
            total += len(seats.holders) - len(set(seats.holders.values()))
        return total

    def close(self) -> None:
        for app in (self.identity, self.candidates, self.scheduling, self.booking):
            app.close()


def settle(launcher: Launcher, quiet: float = 0.15, limit: float = 90) -> None:
    """Until the platform's processes are quiet (read models and the relay
    caught up with the set-up), so that they do not share the measured time."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        total = 0
        for child in launcher.children.values():
            try:
                with open(f"/proc/{child.process.pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError):
                continue
        return total / tick

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu()
        time.sleep(1)
        if cpu() - before < quiet:
            return


def hold(token: str, neph: str, session_id: str) -> Request:
    return Request("POST", "/api/panier", token, {"neph": neph, "session": session_id})


def school_of(token: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})["sub"]


def flash_crowd(
    base: str, fixtures: Fixtures, tokens: list[str], launcher: Launcher
) -> None:
    sessions = fixtures.sessions(50)
    nephs = [fixtures.files(school_of(t), 1)[0] for t in tokens]
    fixtures.wait_known([school_of(t) for t in tokens], nephs, sessions)
    settle(launcher)
    full: set[str] = set()

    def attempts(token: str, neph: str):
        """One school: a random open session until it holds a seat or none is left."""
        while len(full) < len(sessions):
            session_id = random.choice([s for s in sessions if s not in full])
            answer = yield hold(token, neph, session_id)
            if answer.status == 201:
                return
            if answer.status == 409 and b"complet" in answer.body:
                full.add(session_id)

    import asyncio

    from tests.benchmarks.load import Connection, Figures

    figures = Figures()

    async def school(token: str, neph: str) -> None:
        connection = Connection(base)
        walk = attempts(token, neph)
        try:
            request = next(walk)
            while True:
                answer = await connection.send(request)
                figures.answers.append(answer)
                request = walk.send(answer)
        except StopIteration:
            pass
        finally:
            connection.close()

    async def crowd() -> None:
        await asyncio.gather(
            *(school(t, n) for t, n in zip(tokens, nephs, strict=True))
        )

    started = time.perf_counter()
    asyncio.run(crowd())
    figures.elapsed = time.perf_counter() - started
    sold = sum(
        SEATS - fixtures.booking.repository.get(UUID(s)).free_seats for s in sessions
    )
    print(
        f"flash crowd, {len(tokens)} schools on {len(sessions)} sessions of {SEATS}:"
        f" {sold} seats sold, every request answered in {figures.elapsed:.1f} s"
        f" ({len(figures.answers)} requests, p99 {figures.quantile_ms(99):.0f} ms,"
        f" answers {figures.statuses}), oversold {fixtures.oversold(sessions)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--busy-schools", type=int, default=200)
    parser.add_argument(
        "--cpu", action="store_true", help="CPU per request of each process kind"
    )
    args = parser.parse_args()
    with platform.started("bb") as (launcher, settings):
        fixtures = Fixtures(settings)
        try:
            measure(args, launcher, fixtures)
        finally:
            fixtures.close()


def measure(args: argparse.Namespace, launcher: Launcher, fixtures: Fixtures) -> None:
    """Each figure of the module's docstring, printed as it is measured."""
    launcher.halt("notifier")
    base = launcher.gateway_url
    clients = args.clients
    # Schools book in bursts, many at once: the saturation rounds spread their
    # requests over `--busy-schools` schools (each school's own holds queue
    # behind its cart, as a secretary's clicks would).
    tokens = fixtures.schools(args.busy_schools)
    token, school_id = tokens[0], school_of(tokens[0])

    # Enough seats and files for the saturation rounds and the open loop.
    expected = int(600 * args.seconds * args.rounds) + int(args.rate * args.seconds)
    sessions = fixtures.sessions(expected // SEATS + 1)
    files = {
        t: fixtures.files(school_of(t), expected // len(tokens) + 1) for t in tokens
    }
    owners = [school_of(t) for t, nephs in files.items() for _ in nephs]
    fixtures.wait_known(
        owners, [n for nephs in files.values() for n in nephs], sessions
    )
    settle(launcher)
    seat_of = itertools.cycle(sessions)
    unheld = {t: iter(nephs) for t, nephs in files.items()}
    busy = itertools.cycle(tokens)

    def next_hold() -> Request:
        school = next(busy)
        return hold(school, next(unheld[school]), next(seat_of))

    # One RPC and one small read (billing's list of the school's payments):
    # the cart would also wait for booking's list to catch up with holds.
    trivial = [Request("GET", "/api/paiements", t) for t in tokens]
    reads = itertools.cycle(trivial)
    rounds: list[tuple[float, float]] = []
    for n in range(1, args.rounds + 1):
        with cpu_of(launcher, "one-RPC ceiling", args.cpu) as answered:
            ceiling = closed_loop(
                base, clients, for_seconds(args.seconds, lambda: next(reads))
            )
            answered.append(len(ceiling.answers))
        print(ceiling.line(f"round {n}: one-RPC ceiling (GET /api/paiements)"))
        with cpu_of(launcher, "holds, relayed and projected", args.cpu) as answered:
            saturation = closed_loop(
                base, clients, for_seconds(args.seconds, next_hold)
            )
            answered.append(len(saturation.answers))
            settle(launcher)  # the holds' relay and read models caught up
        print(saturation.line(f"round {n}: holds at saturation"))
        rounds.append((ceiling.rate, saturation.rate))
    print(
        f"{clients} clients, median of {args.rounds} rounds:"
        f" one-RPC ceiling {statistics.median(c for c, _ in rounds):.0f}/s,"
        f" holds at saturation {statistics.median(h for _, h in rounds):.0f}/s,"
        f" holds / ceiling {statistics.median(h / c for c, h in rounds):.2f}"
    )

    offered = [next_hold() for _ in range(int(args.rate * args.seconds))]
    steady = open_loop(base, args.rate, offered)
    print(steady.line(f"open loop at {args.rate:.0f} holds/s offered"))
    print(f"oversold seats: {fixtures.oversold(sessions)}")

    (one,) = fixtures.sessions(1)
    rush = fixtures.files(school_id, 200)
    fixtures.wait_known([school_id] * 200, rush, [one])
    settle(launcher)
    race = closed_loop(base, 200, iter([hold(token, n, one) for n in rush]))
    taken = SEATS - fixtures.booking.repository.get(UUID(one)).free_seats
    print(
        race.line("200 concurrent holds on one session of 18")
        + f", seats taken {taken}, oversold {fixtures.oversold([one])}"
    )

    flash_crowd(base, fixtures, fixtures.schools(args.schools), launcher)


if __name__ == "__main__":
    main()
