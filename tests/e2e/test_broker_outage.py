"""Events committed while RabbitMQ is down are all delivered once it is back."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from services.candidates.application import CandidatesApplication
from tests.helpers import mails, wait_for

pytestmark = pytest.mark.broker_outage


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def broker_control():
    if shutil.which("rabbitmqctl") is None or os.environ.get("PMC_TEST_IN_CONTAINERS"):
        pytest.skip("needs rabbitmqctl to stop and start the local RabbitMQ node")
    yield _rabbitmqctl
    _rabbitmqctl("start_app")  # whatever happened, leave the broker running
    _rabbitmqctl("await_startup")


def test_events_committed_during_an_outage_are_delivered_once(
    stack, settings, mail_folder, broker_control
):
    app = CandidatesApplication(settings=settings)
    recipients = [f"panne{i}@example.fr" for i in range(10)]
    try:
        broker_control("stop_app")
        for i, email in enumerate(recipients):
            app.create_file(
                "ecole-panne",
                "ecole-panne@example.fr",
                {
                    "neph": f"15000000000{i}",
                    "civility": "M",
                    "birth_name": "Roux",
                    "given_names": "Jules",
                    "birth_date": "2004-09-01",
                    "email": email,
                },
            )
        time.sleep(2)  # the relay and the consumers notice the outage
        assert not [m for m in mails(mail_folder) if m["To"] in recipients]
        broker_control("start_app")
        broker_control("await_startup")
    finally:
        app.close()

    def delivered() -> list[str]:
        return [m["To"] for m in mails(mail_folder) if m["To"] in recipients]

    wait_for(lambda: len(delivered()) >= len(recipients), timeout=90)
    time.sleep(3)  # a duplicate would arrive within this time
    assert sorted(delivered()) == sorted(recipients)
