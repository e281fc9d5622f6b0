"""Faults are survived, not propagated (TR-3, BI-2, NO-3), against the real processes.

Processes are killed with SIGKILL in the middle of a burst of candidate creations
and card payments; nobody restarts them but `pmc up`'s supervisor. Afterwards the
platform answers again, every payment that answered success is charged and
confirmed once, every other one is finished by a retry with the same key or
charged nothing, and every e-mail arrives once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

import eventlet
import kombu
import psycopg
import requests
from eventsourcing.persistence import PersistenceError

from pmc.launcher import Launcher, _Child
from pmc.mailcatcher import duplicates
from services.billing.application import BillingApplication
from services.billing.domain import Checkout
from services.billing.provider import APPROVED_TOKEN
from services.booking.application import BookingApplication
from services.common.db import connect
from services.common.topology import events_exchange
from services.identity.application import IdentityApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import PASSWORD, sign_up_payload
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import mails, wait_for

CONFIRMED = "Vos inscriptions sont confirmées"
CONVOCATION = "Votre convocation à l'examen du code de la route"
SIGN_UP = "Activez votre compte Passer mon code"
ACTIVATION = "Votre dossier d'inscription à l'examen du code de la route"
FILE_CONFIRMED = "Dossier confirmé par le candidat (NEPH {neph})"
# An answer the client can count on: done (2xx) or refused for a reason (4xx).
SETTLED = range(200, 500)
# The notifier's senders (services/notifier/mailer.py): one e-mail in flight each.
MAIL_LANES = 2


# -- building a burst ---------------------------------------------------------------


def schools(settings, gateway: str, count: int) -> list[dict]:
    """Active schools signed in through the gateway (made in-process: faster)."""
    app = IdentityApplication(settings=settings)
    made = []
    try:
        for _ in range(count):
            email = f"panne-{secrets.token_hex(4)}@example.fr"
            created = app.sign_up(sign_up_payload(email))
            account = app.repository.get(UUID(created["account_id"]))
            account.activate(account.activation_nonce, app.clock.now())
            app.save(account)
            made.append(email)
    finally:
        app.close()
    signed_in = []
    for email in made:
        session = requests.post(
            f"{gateway}/api/sessions",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        )
        assert session.status_code == 201, session.text
        signed_in.append(
            {
                "email": email,
                "account": session.json()["account"],
                "headers": {"Authorization": f"Bearer {session.json()['token']}"},
            }
        )
    return signed_in


def carts(
    gateway, scheduling, candidates, schools_: list[dict], first: int, seats: int = 2
) -> dict:
    """Held seats in each school's cart: {school email: reservation ids}."""
    site = centre(scheduling, "TEST-PANNE", "Lyon", 45.76, 4.84)
    held: dict[str, list[str]] = {}
    per_session = 18 // seats
    session: dict = {}
    for n, school in enumerate(schools_):
        if n % per_session == 0:
            day = next_weekday(2, 3 + first // 10_000)
            session = scheduling.schedule_session(
                site, day.replace(hour=8 + n // per_session), 18, COLLECTIVE
            )
        nephs = activated_files(candidates, school, seats, first=first + seats * n)
        answers = [hold(gateway, school, neph, session["id"]) for neph in nephs]
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
        held[school["email"]] = [a.json()["id"] for a in answers]
    return held


def pay(gateway: str, school: dict, key: str, timeout: float = 30) -> int:
    """A card payment's HTTP status, 0 when no answer came."""
    try:
        return requests.post(
            f"{gateway}/api/paiement/carte",
            json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": key},
            headers=school["headers"],
            timeout=timeout,
        ).status_code
    except requests.RequestException:
        return 0


def create_candidate(gateway: str, school: dict, neph: str, email: str) -> int:
    try:
        return requests.post(
            f"{gateway}/api/candidats",
            headers=school["headers"],
            json={
                "neph": neph,
                "civility": "M",
                "birth_name": "Panne",
                "given_names": "Test",
                "birth_date": "2004-01-01",
                "email": email,
            },
            timeout=30,
        ).status_code
    except requests.RequestException:
        return 0


def retry_until_settled(call: Callable[[], int], timeout: float = 90) -> int:
    """What a client does with an uncertain answer: the same call again."""
    deadline = time.monotonic() + timeout
    while True:
        status = call()
        if status in SETTLED or time.monotonic() > deadline:
            return status
        time.sleep(1)


# -- checking the outcome -----------------------------------------------------------


def patiently(fn: Callable[[], Any], timeout: float = 120) -> Any:
    """fn(), tried again while PostgreSQL refuses connections (it is shared
    with other runs on this machine, and its connection slots run out)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (psycopg.OperationalError, PersistenceError):
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def provider_charges(settings) -> Counter | None:
    """Captures the card simulator recorded, by authorisation key; None when
    this simulator keeps no ledger of its own."""
    table = f"{settings.schema_prefix}card_simulator"
    with contextlib.closing(connect(settings)) as conn:
        try:
            rows = conn.execute(
                f'SELECT authorise_key FROM "{table}".payments '
                "WHERE capture_id IS NOT NULL"
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return None
    return Counter(row[0] for row in rows)


def check_payments(settings, gateway, schools_, held, keys, answers) -> None:
    """Success answered → charged and confirmed once; else finished or free."""
    billing = patiently(lambda: BillingApplication(settings=settings))
    booking = patiently(lambda: BookingApplication(settings=settings))
    try:
        charges = patiently(lambda: provider_charges(settings))
        for school in schools_:
            email = school["email"]
            checkout_id = Checkout.create_id(
                school["account"]["account_id"], keys[email]
            )
            history = [
                type(e).__qualname__
                for e in patiently(lambda c=checkout_id: billing.aggregate_history(c))
            ]
            captured = history.count("Checkout.Captured")

            def confirmations(lines: list[str] = held[email]) -> list[int]:
                return [
                    [
                        type(e).__qualname__
                        for e in patiently(
                            lambda r=r: booking.aggregate_history(UUID(r))
                        )
                    ].count("Reservation.Confirmed")
                    for r in lines
                ]

            if answers[email] == 201:
                assert captured == 1, (email, history)
                # Confirmed by events: after an outage, the relay and booking's
                # consumer catch up with some delay, but they do.
                wait_for(lambda: 0 not in confirmations(), timeout=90, interval=1)
                confirmed = confirmations()
                assert set(confirmed) == {1}, (email, confirmed)
            else:
                confirmed = confirmations()
                assert captured == 0, (email, history)
                assert set(confirmed) == {0}, (email, confirmed)
            if charges is not None:
                assert charges[f"{checkout_id}:authorise"] == captured, email
    finally:
        billing.close()
        booking.close()


def cart_mails(
    schools_: list[dict], answers: dict, first: int, seats: int = 2
) -> Counter:
    """The e-mails the carts made by carts() cause: activations and the
    school's notice of each confirmed file, then for a paid cart the school's
    confirmation and each candidate's convocation."""
    expected: Counter = Counter()
    for n, school in enumerate(schools_):
        paid = answers[school["email"]] == 201
        expected[(school["email"], SIGN_UP)] = 1
        if paid:
            expected[(school["email"], CONFIRMED)] = 1
        for i in range(seats):
            number = first + seats * n + i
            candidate = f"siege{number}@example.fr"
            expected[(candidate, ACTIVATION)] = 1
            expected[
                (school["email"], FILE_CONFIRMED.format(neph=f"2{number:011d}"))
            ] = 1
            if paid:
                expected[(candidate, CONVOCATION)] = 1
    return expected


def check_mails(mail_folder, expected: Counter, kills: int) -> None:
    """Each expected (recipient, subject) once: none lost, none doubled."""

    def seen() -> Counter:
        return Counter(
            (m["To"], m["Subject"]) for m in mails(mail_folder) if m["To"] in recipients
        )

    def all_arrived() -> bool:
        arrived = seen()  # one read of the mail folder per look
        return all(arrived[k] >= 1 for k in expected)

    recipients = {to for to, _ in expected}
    wait_for(all_arrived, timeout=90, interval=1)
    time.sleep(3)  # a repeat would arrive within this time
    doubled = {k: n for k, n in seen().items() if n > 1}
    assert not doubled
    assert {k for k in seen()} == set(expected)
    # A repeat with the same Message-ID (a crash between sending and recording)
    # is folded by the mailbox; there is at most one per kill of the notifier
    # and lane (bulk and accounts each have a message in flight).
    assert len(duplicates(mail_folder)) <= kills * MAIL_LANES


# -- the test -----------------------------------------------------------------------

# In this order, 0.6 s apart, while the burst goes on (about 6 s).
KILLED = (
    "notifier",
    "billing",
    "candidates",
    "relay",
    "booking",
    "identity",
    "scheduling",
    "gateway",
)


def later(delay: float, fn: Callable[..., int], *args: Any) -> int:
    time.sleep(delay)
    return fn(*args)


def test_killed_processes_come_back_and_no_effect_is_lost_or_doubled(
    stack: Launcher, gateway, settings, scheduling, candidates, mail_folder
):
    schools_ = schools(settings, gateway, 8)
    held = carts(gateway, scheduling, candidates, schools_, first=40_000)
    keys = {s["email"]: f"panne-{secrets.token_hex(4)}" for s in schools_}
    creator = schools_[0]
    new_files = [(f"2{50_000 + i:011d}", f"kill{i}@example.fr") for i in range(40)]
    restarts_before = {label: stack.restarts(label) for label in KILLED}

    def killer() -> None:
        for label in KILLED:
            time.sleep(0.6)
            os.kill(stack.processes[label].pid, signal.SIGKILL)

    pool = eventlet.GreenPool(80)
    kills = pool.spawn(killer)
    payments = {
        s["email"]: pool.spawn(later, 0.6 * i, pay, gateway, s, keys[s["email"]])
        for i, s in enumerate(schools_)
    }
    creations = {
        neph: pool.spawn(
            later, 0.15 * i, create_candidate, gateway, creator, neph, email
        )
        for i, (neph, email) in enumerate(new_files)
    }
    kills.wait()
    answers = {email: thread.wait() for email, thread in payments.items()}
    created = {neph: thread.wait() for neph, thread in creations.items()}
    print(f"during the kills: payments {Counter(answers.values())}, ", end="")
    print(f"creations {Counter(created.values())}")

    # Nobody restarts anything: the supervisor does.
    stack.wait_ready(timeout=120)
    for label in KILLED:
        assert stack.restarts(label) > restarts_before[label], label

    # What did not answer success is asked again, with the same key.
    for school in schools_:
        email = school["email"]
        if answers[email] != 201:
            answers[email] = retry_until_settled(
                lambda s=school: pay(gateway, s, keys[s["email"]])
            )
    for neph, email in new_files:
        if created[neph] != 201:
            created[neph] = retry_until_settled(
                lambda n=neph, e=email: create_candidate(gateway, creator, n, e)
            )
    check_payments(settings, gateway, schools_, held, keys, answers)

    listed = requests.get(
        f"{gateway}/api/candidats", headers=creator["headers"], timeout=30
    ).json()["items"]
    nephs = Counter(item["neph"] for item in listed)
    for neph, _ in new_files:
        # Created (now or by the first, uncertain, attempt): one file, never two.
        assert nephs[neph] == 1, (neph, created[neph])

    expected: Counter = Counter()
    for _, email in new_files:
        expected[(email, ACTIVATION)] = 1
    expected.update(cart_mails(schools_, answers, first=40_000))
    check_mails(mail_folder, expected, kills=1)


def test_a_process_that_keeps_failing_is_restarted_ever_more_slowly(settings, capfd):
    launcher = Launcher(settings)
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    launcher.children["crasher"] = _Child(failing, subprocess.Popen(failing), 0.0)
    started = time.monotonic()
    try:
        while time.monotonic() - started < 4.5:
            launcher.supervise_once()
            time.sleep(0.05)
    finally:
        launcher.stop()
    # Stopped at once, then after 1 s and 2 s: the next wait is 4 s.
    assert launcher.restarts("crasher") == 2
    logged = capfd.readouterr().err.splitlines()
    assert [line for line in logged if "crasher" in line] == [
        f"pmc up: crasher stopped (exit code 3), restarting in {delay}s"
        for delay in (1, 2, 4)
    ]


def test_an_undecodable_event_ends_in_a_dead_letter_queue(stack, settings, pmc):
    queue = "evt-candidates-CandidateCreated--notifier.on_candidate_created"
    with kombu.Connection(settings.amqp_uri) as conn:
        producer = kombu.Producer(
            conn.channel(), exchange=events_exchange("candidates")
        )
        producer.publish(
            b"\x00pas du JSON{",
            routing_key="CandidateCreated",
            content_type="application/json",
            content_encoding="utf-8",
        )

    def listed() -> str:
        answer = pmc("dead-letters", "list")
        assert answer.returncode == 0, answer.stderr
        return answer.stdout

    wait_for(lambda: f"{queue}: 1 dead letter(s)" in listed(), timeout=30)
    assert "message illisible" in listed()
    assert "candidates.events.unrouted: " in listed()
    # Put back once; it fails again and waits for the next replay.
    replayed = pmc("dead-letters", "replay", queue)
    assert replayed.stdout.strip() == f"{queue}: 1 message(s) put back"
    wait_for(lambda: f"{queue}: 1 dead letter(s)" in listed(), timeout=30)


def test_the_notifier_killed_while_sending_sends_each_email_once(
    stack: Launcher, settings, candidates, mail_folder
):
    recipients = [f"rafale{i}@example.fr" for i in range(150)]
    # The files are created while the notifier is down, so that all 150 e-mails
    # are still to send when it comes back: it is then killed while sending,
    # however fast this machine sends them.
    stack.halt("notifier")
    for i, email in enumerate(recipients):
        patiently(
            lambda i=i, email=email: candidates.create_file(
                "ecole-rafale",
                "ecole-rafale@example.fr",
                {
                    "neph": f"2{70_000 + i:011d}",
                    "civility": "MME",
                    "birth_name": "Rafale",
                    "given_names": "Test",
                    "birth_date": "2004-01-01",
                    "email": email,
                },
            )
        )

    # Counting files, not reading them: the notifier sends faster than a
    # parse of the whole mail folder, and must be caught in the middle.
    already = len(list(mail_folder.glob("*.eml")))

    def sent() -> int:
        return len(list(mail_folder.glob("*.eml"))) - already

    stack.resume("notifier")

    kills = 0
    for _ in range(3):
        # Killed while it is sending: after some more e-mails went out.
        target = min(sent() + 10, len(recipients) - 10)
        wait_for(lambda t=target: sent() >= t, timeout=60, interval=0.01)
        if sent() >= len(recipients):
            break
        os.kill(stack.processes["notifier"].pid, signal.SIGKILL)
        kills += 1
    expected = Counter({(email, ACTIVATION): 1 for email in recipients})
    check_mails(mail_folder, expected, kills=kills)
    assert kills >= 2  # the burst was still being sent when it was killed
