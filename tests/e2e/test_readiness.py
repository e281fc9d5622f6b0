"""Readiness answers within a second and names what is down (TR-2, OP-3)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse, urlunparse

import eventlet
import pytest
import requests

from tests.conftest import free_port
from tests.helpers import wait_for

SERVICES = {
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
    "results",
}
# What Kubernetes waits by default for a readiness probe.
PROBE_TIMEOUT = 1.0


def _ready(url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = requests.get(f"{url}/health/ready", timeout=10)
    return answer, time.monotonic() - started


def test_readiness_reports_every_service_and_its_followers(gateway):
    answer, took = _ready(gateway)
    assert took < PROBE_TIMEOUT
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["services"]) == SERVICES
    # Earlier tests may have parked events on purpose: degraded, never down.
    assert {s["status"] for s in body["services"].values()} <= {"ok", "degradé"}


def test_a_service_that_does_not_answer_is_named_within_a_second(gateway, stack):
    billing = stack.processes["billing"]
    os.kill(billing.pid, signal.SIGSTOP)  # alive, silent: the slowest failure
    try:
        answer, took = _ready(gateway)
    finally:
        os.kill(billing.pid, signal.SIGCONT)
    assert took < PROBE_TIMEOUT
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["status"] == "indisponible" and body["down"] == ["billing"]
    assert body["services"]["billing"]["status"] == "indisponible"
    assert body["services"]["candidates"]["status"] in ("ok", "degradé")
    wait_for(lambda: _ready(gateway)[0].status_code == 200, timeout=20)


class Cable:
    """A TCP relay to RabbitMQ that can be cut: then it accepts connections
    and never answers, as a broker host gone silent does."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server = eventlet.listen(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.cut_off = False
        self.sockets: list[socket.socket] = []
        self.pipes: list[eventlet.greenthread.GreenThread] = []
        self.acceptor = eventlet.spawn(self._accept)

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            self.sockets.append(client)
            if self.cut_off:
                continue  # held open, silent
            upstream = eventlet.connect(self.target)
            self.sockets.append(upstream)
            self.pipes.append(eventlet.spawn(self._pipe, client, upstream))
            self.pipes.append(eventlet.spawn(self._pipe, upstream, client))

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.cut_off:
                    return
                sink.sendall(data)
        except OSError:
            return

    def cut(self) -> None:
        """Every established connection goes silent, new ones hang."""
        self.cut_off = True

    def close(self) -> None:
        # No green thread may still wait on a socket closed here: its number
        # would be reused by the next test's connections.
        for thread in [self.acceptor, *self.pipes]:
            thread.kill()
        for sock in [self.server, *self.sockets]:
            sock.close()


@pytest.fixture
def gateway_behind_a_cable(platform_env, stack, tmp_path):
    """A second gateway, reaching RabbitMQ through a cable that can be cut."""
    amqp = urlparse(platform_env["AMQP_URI"])
    cable = Cable(amqp.hostname or "127.0.0.1", amqp.port or 5672)
    netloc = f"{amqp.username}:{amqp.password}@127.0.0.1:{cable.port}"
    port = free_port()
    env = {
        **platform_env,
        "AMQP_URI": urlunparse(amqp._replace(netloc=netloc)),
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
    }
    command = [sys.executable, "-m", "pmc.cli", "serve", "gateway"]
    log = tmp_path / "gateway.log"
    process = subprocess.Popen(command, env=env, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        nonlocal process
        if process.poll() is not None:  # PostgreSQL full at start: again
            process = subprocess.Popen(command, env=env, stderr=log.open("a"))
        try:
            return _ready(url)[0].status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(up, timeout=60, interval=0.5)
        yield url, cable
    finally:
        process.kill()
        process.wait()
        cable.close()


def test_readiness_answers_within_a_second_when_the_broker_is_unreachable(
    gateway_behind_a_cable,
):
    url, cable = gateway_behind_a_cable
    cable.cut()
    for _ in range(3):  # the first probe and those that follow
        answer, took = _ready(url)
        assert took < PROBE_TIMEOUT
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "indisponible"
        assert set(body["down"]) == SERVICES
