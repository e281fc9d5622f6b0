"""Operating the platform (OP-2, OP-3): every process serves its probes and
Prometheus metrics, traffic shows in the latency and lag metrics, and a
request's correlation id is in the JSON log lines of every process it touched.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from pmc.launcher import Launcher
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import PASSWORD, sign_up_school
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import wait_for

UUID_IN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def metrics(stack: Launcher, label: str) -> dict[tuple[str, frozenset], float]:
    """One process's samples: (name, labels) -> value."""
    answer = requests.get(f"{stack.probe_url(label)}/metrics", timeout=10)
    assert answer.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    """The sum of `name`'s samples that have these labels (None: no sample)."""
    found = [
        v
        for (n, ls), v in samples.items()
        if n == name and set(labels.items()) <= set(ls)
    ]
    return sum(found) if found else None


def log_lines(stack: Launcher, label: str) -> list[dict]:
    """The JSON log lines `label` wrote so far (every line must be JSON)."""
    assert stack.log_folder is not None
    path = Path(stack.log_folder) / f"{label}.log"
    text = path.read_text() if path.exists() else ""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:  # still starting
        return False


def correlated(stack: Launcher, label: str, correlation_id: str) -> list[dict]:
    """The lines of a process about this request: its own, or a batch's that
    names it among others."""
    return [
        line
        for line in log_lines(stack, label)
        if line.get("correlation_id") == correlation_id
        or correlation_id in line.get("correlation_ids", ())
    ]


@pytest.fixture(scope="module")
def traffic(stack, gateway, scheduling, candidates, settings):
    """A school signs in and holds a seat, each request with its own id."""
    school = sign_up_school(gateway, Path(settings.mail_folder))
    sign_in_id = f"test-{secrets.token_hex(8)}"
    signed_in = requests.post(
        f"{gateway}/api/sessions",
        json={"email": school["email"], "password": PASSWORD},
        headers={"X-Request-Id": sign_in_id},
    )
    assert signed_in.status_code == 201
    assert signed_in.headers["X-Request-Id"] == sign_in_id
    site = centre(scheduling, "TEST-OBS-LYON", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(4), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=8500)
    hold_id = f"test-{secrets.token_hex(8)}"
    held = requests.post(
        f"{gateway}/api/panier",
        json={"neph": neph, "session": session["id"]},
        headers={**school["headers"], "X-Correlation-Id": hold_id},
        timeout=60,
    )
    assert held.status_code == 201, held.text
    assert held.headers["X-Request-Id"] == hold_id
    assert hold(gateway, school, neph, session["id"]).status_code == 409
    removed = requests.delete(
        f"{gateway}/api/panier/{held.json()['id']}", headers=school["headers"]
    )
    assert removed.status_code == 200
    return {"school": school, "neph": neph, "sign_in": sign_in_id, "hold": hold_id}


def test_every_process_serves_its_probes_and_metrics(stack):
    assert set(stack.probe_ports) >= {"gateway", "booking", "identity", "relay"}
    for label in stack.probe_ports:
        url = stack.probe_url(label)
        wait_for(lambda url=url: _answers(f"{url}/health/live"), timeout=30)
        wait_for(
            lambda url=url: _answers(f"{url}/health/ready"),
            timeout=30,
        )
        answer = requests.get(f"{url}/metrics", timeout=10)
        assert answer.status_code == 200
        assert "# TYPE pmc_" in answer.text, label
    # The gateway's public probes stay where they were.
    public = requests.get(f"{stack.gateway_url}/health/live", timeout=5)
    assert public.status_code == 200


def test_traffic_shows_in_latency_and_lag_metrics(stack, traffic):
    gateway = metrics(stack, "gateway")
    holds = value(
        gateway, "pmc_http_request_duration_seconds_count", route="/api/panier"
    )
    assert holds is not None and holds >= 2
    refused = value(
        gateway, "pmc_http_requests_total", route="/api/panier", status="409"
    )
    assert refused is not None and refused >= 1
    # Counted by route template, never by raw path (ids would explode it).
    routes = {dict(ls)["route"] for (_, ls) in gateway if "route" in dict(ls)}
    assert "/api/panier/<string:reservation_id>" in routes
    assert not [r for r in routes if UUID_IN.search(r)]

    booking = metrics(stack, "booking")
    timed = value(
        booking, "pmc_rpc_duration_seconds_count", service="booking", method="hold"
    )
    assert timed is not None and timed >= 2
    assert value(booking, "pmc_rpc_requests_total", method="hold", outcome="ok")
    identity = metrics(stack, "identity")
    assert value(identity, "pmc_rpc_requests_total", method="sign_in", outcome="ok")

    relay = metrics(stack, "relay")
    assert value(relay, "pmc_relay_published_total", service="booking")
    assert value(relay, "pmc_relay_lag_seconds", service="booking") is not None

    # Scheduling follows booking's seats: its queue and its read models.
    def scheduling_lags() -> dict | None:
        found = metrics(stack, "scheduling")
        ready = value(found, "pmc_consumer_lag_messages")
        projected = value(found, "pmc_projection_lag_events")
        return found if ready is not None and projected is not None else None

    scheduling = wait_for(scheduling_lags, timeout=15, interval=1)
    assert value(scheduling, "pmc_parked_events") == 0


def test_a_requests_correlation_id_is_in_every_line_it_caused(stack, traffic):
    hold_id, sign_in_id = traffic["hold"], traffic["sign_in"]
    wait_for(lambda: correlated(stack, "identity", sign_in_id), timeout=10)
    wait_for(lambda: correlated(stack, "gateway", hold_id), timeout=10)
    booked = wait_for(lambda: correlated(stack, "booking", hold_id), timeout=10)
    assert any(line.get("method") == "hold" for line in booked)
    # Booking's SlotReserved, relayed, handled by scheduling's consumer.
    handled = wait_for(lambda: correlated(stack, "scheduling", hold_id), timeout=20)
    assert any(line.get("event") == "events handled" for line in handled)


def test_a_malformed_request_id_is_replaced(gateway):
    answer = requests.get(
        f"{gateway}/health/live", headers={"X-Request-Id": "pas un identifiant"}
    )
    given = answer.headers["X-Request-Id"]
    assert given != "pas un identifiant" and len(given) == 36


def test_no_personal_data_reaches_the_logs(stack, traffic):
    secrets_ = (traffic["school"]["email"], traffic["neph"])
    for label in stack.probe_ports:
        for line in log_lines(stack, label):
            text = json.dumps(line, ensure_ascii=False)
            assert not any(s in text for s in secrets_), label
