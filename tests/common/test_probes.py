"""A process's probe server (services/common/probes.py) and the readings its
metrics come from (services/common/metrics.py), on the real PostgreSQL and
RabbitMQ."""

from __future__ import annotations

import pytest
import requests

from services.candidates.application import CandidatesApplication
from services.common import probes
from services.common.metrics import QueueDepths
from services.common.relay import Relay
from tests.conftest import free_port
from tests.helpers import apart


@pytest.fixture
def probe_url(monkeypatch):
    port = free_port()
    monkeypatch.setenv(probes.ADDRESS_ENV, f"127.0.0.1:{port}")
    servers = []

    def start(live, ready) -> str:
        servers.append(probes.serve(live, ready))
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_readiness_says_why_a_process_is_not_ready(probe_url):
    reasons = {"ready": "RabbitMQ injoignable (ConnectionRefusedError)"}
    url = probe_url(lambda: None, lambda: reasons["ready"])

    assert requests.get(f"{url}/health/live", timeout=5).status_code == 200
    answer = requests.get(f"{url}/health/ready", timeout=5)
    assert answer.status_code == 503
    assert answer.json() == {"status": "indisponible", "reason": reasons["ready"]}
    reasons["ready"] = {"parked": {"session_board": 1}}
    degraded = requests.get(f"{url}/health/ready", timeout=5)
    assert degraded.status_code == 200  # one bad event takes no replica out
    assert degraded.json() == {"status": "degradé", "parked": {"session_board": 1}}
    reasons["ready"] = None
    assert requests.get(f"{url}/health/ready", timeout=5).status_code == 200
    metrics = requests.get(f"{url}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "pmc_rpc_requests_total" in metrics.text


def test_no_probe_server_without_an_address(monkeypatch):
    monkeypatch.delenv(probes.ADDRESS_ENV, raising=False)
    assert probes.serve(lambda: None, lambda: None) is None


def test_queue_depths_count_ready_messages_and_skip_unknown_queues(settings):
    import kombu

    depths = QueueDepths(settings.amqp_uri)
    with kombu.Connection(settings.amqp_uri) as conn:
        queue = kombu.Queue("pmc-test-depths", durable=False, auto_delete=False)
        bound = queue(conn.channel())
        bound.declare()
        try:
            producer = conn.Producer()
            for n in range(3):
                producer.publish({"n": n}, routing_key="pmc-test-depths")
            depths.reachable()
            assert depths.depths(["pmc-test-depths", "pmc-test-absent"]) == {
                "pmc-test-depths": 3
            }
            # The channel the absent queue closed is opened again.
            assert depths.depths(["pmc-test-depths"]) == {"pmc-test-depths": 3}
        finally:
            bound.delete()
            depths.close()


def test_an_unreachable_broker_is_reported():
    depths = QueueDepths(f"amqp://guest:guest@127.0.0.1:{free_port()}//")
    with pytest.raises(OSError):
        depths.reachable()


def test_the_relay_lag_is_the_age_of_the_oldest_unpublished_event(settings):
    app = CandidatesApplication(settings=apart(settings))
    relay = Relay(app, settings.amqp_uri)
    try:
        relay.run_until_caught_up()
        assert relay.oldest_unpublished() is None
        app.create_file(
            "ecole-probes",
            "secretariat@ecole-probes.fr",
            {
                "neph": "330000000001",
                "civility": "M",
                "birth_name": "Durand",
                "given_names": "Paul",
                "birth_date": "2005-03-14",
                "email": "paul.durand@example.fr",
            },
        )
        oldest = relay.oldest_unpublished()
        assert oldest is not None and oldest <= app.clock.now()
        relay.run_until_caught_up()
        assert relay.oldest_unpublished() is None
    finally:
        relay.release()
        app.close()
