"""The launcher's listening ports: drawn outside the ephemeral range, and a
process restarted after its probes' port was taken meanwhile gets another
(CI once saw a notifier restart forever on a port a client connection held)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from pmc.launcher import LISTEN_PORTS, Launcher, _Child, free_port
from services.common.probes import ADDRESS_ENV

# Binds the probes' address it is given, as a service does, then exits.
BIND = (
    "import os, socket; host, port = os.environ['PMC_PROBE_ADDRESS'].split(':');"
    " socket.socket().bind((host, int(port)))"
)


def test_ports_are_drawn_outside_the_ephemeral_range():
    ports = {free_port() for _ in range(20)}
    assert all(port in LISTEN_PORTS for port in ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free indeed


def test_a_restart_on_a_port_taken_meanwhile_moves_to_another(settings):
    assert ADDRESS_ENV == "PMC_PROBE_ADDRESS"
    launcher = Launcher(settings, demo=False, mail=False, env={})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        launcher.probe_ports["notifier"] = port
        env = {"PMC_PROBE_ADDRESS": f"127.0.0.1:{port}"}
        child = _Child(
            [sys.executable, "-c", BIND],
            subprocess.Popen([sys.executable, "-c", "pass"]),
            time.monotonic(),
            env,
        )
        child.process.wait()
        restarted = launcher._restart("notifier", child)
        assert restarted.wait(timeout=30) == 0  # bound: it started
    moved = launcher.probe_ports["notifier"]
    assert moved != port and moved in LISTEN_PORTS
    assert child.env["PMC_PROBE_ADDRESS"] == f"127.0.0.1:{moved}"
