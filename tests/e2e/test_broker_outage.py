"""RabbitMQ stopped for 20 s while payments are in flight (TR-3, BI-2, NO-3).

Afterwards, without anyone restarting anything: no service exited over a reply
it could not deliver; a payment that answered success is captured and confirmed
once; every other one is finished by a retry with the same key or captured
nothing; events committed during the outage are all delivered once; no e-mail
is lost or doubled.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections import Counter

import eventlet
import pytest

from pmc import registry
from tests.e2e.test_faults import (
    ACTIVATION,
    cart_mails,
    carts,
    check_mails,
    check_payments,
    later,
    pay,
    retry_until_settled,
    schools,
)

pytestmark = pytest.mark.broker_outage

OUTAGE = 20.0  # seconds
PAYMENTS = 40


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def broker_control():
    if shutil.which("rabbitmqctl") is None or os.environ.get("PMC_TEST_IN_CONTAINERS"):
        pytest.skip("needs rabbitmqctl to stop and start the local RabbitMQ node")
    yield _rabbitmqctl
    _rabbitmqctl("start_app")  # whatever happened, leave the broker running
    _rabbitmqctl("await_startup")


def test_payments_in_flight_when_the_broker_stops_end_charged_once_or_not_at_all(
    stack, gateway, settings, scheduling, candidates, mail_folder, broker_control
):
    schools_ = schools(settings, gateway, PAYMENTS)
    held = carts(gateway, scheduling, candidates, schools_, first=60_000, seats=1)
    keys = {s["email"]: f"coupure-{secrets.token_hex(4)}" for s in schools_}
    restarts_before = {label: stack.restarts(label) for label in stack.processes}
    pool = eventlet.GreenPool(PAYMENTS)
    # Spread over 4 s; the broker stops after 1 s, in the middle of them.
    payments = {
        s["email"]: pool.spawn(later, 0.1 * i, pay, gateway, s, keys[s["email"]], 60)
        for i, s in enumerate(schools_)
    }
    time.sleep(1.0)
    recipients = [f"coupure{i}@example.fr" for i in range(10)]
    broker_control("stop_app")
    stopped = time.monotonic()
    # Events committed while the broker is down.
    for i, email in enumerate(recipients):
        candidates.create_file(
            "ecole-coupure",
            "ecole-coupure@example.fr",
            {
                "neph": f"15000000000{i}",
                "civility": "M",
                "birth_name": "Roux",
                "given_names": "Jules",
                "birth_date": "2004-09-01",
                "email": email,
            },
        )
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - stopped)))
    broker_control("start_app")
    broker_control("await_startup")
    answers = {email: thread.wait() for email, thread in payments.items()}
    print(f"during the outage: payments {Counter(answers.values())}")

    stack.wait_ready(timeout=120)
    # No service exited over a reply it could not send (the relay and the
    # mail catcher have nothing to do with the broker's replies either).
    for label in registry.SERVICE_CLASSES:
        assert stack.restarts(label) == restarts_before[label], label

    for school in schools_:
        email = school["email"]
        if answers[email] != 201:
            answers[email] = retry_until_settled(
                lambda s=school: pay(gateway, s, keys[s["email"]])
            )
    check_payments(settings, gateway, schools_, held, keys, answers)

    expected = cart_mails(schools_, answers, first=60_000, seats=1)
    for email in recipients:
        expected[(email, ACTIVATION)] = 1
    check_mails(mail_folder, expected, kills=0)
