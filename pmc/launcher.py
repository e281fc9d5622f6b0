"""`pmc up`: every process of the platform on one machine, supervised.

A process that stops is started again, alone, after a delay that doubles on each
quick failure (1 s, 2 s, 4 s … 30 s) and falls back to 1 s once it has stayed up
for a while: what Kubernetes does with a crashing pod, so that a killed service
or a broker outage delays work instead of taking the platform down (TR-3).

`instances` starts that many processes of each service and of the relay
(labelled `booking#1`, `booking#2`, …), as replicas of a Deployment would run:
they share the work through RabbitMQ, the gateways share their port
(SO_REUSEPORT), and one relay leads while the other stands by. Each process
names itself to PostgreSQL by its label (`application_name`), so an operator
sees in `pg_stat_activity` which one holds what.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from pmc import registry
from services.common.db import ensure_database
from services.common.probes import ADDRESS_ENV
from services.common.settings import SIMULATOR, Settings

FIRST_DELAY = 1.0  # seconds before the first restart of a stopped process
MAX_DELAY = 30.0
# A process up for this long is healthy again: its next restart waits FIRST_DELAY.
STABLE_AFTER = 30.0
SUPERVISE_EVERY = 0.2


@dataclass
class _Child:
    """One supervised process and its restart state."""

    command: list[str]
    process: subprocess.Popen
    started_at: float
    env: dict[str, str] | None = None
    log: IO[bytes] | None = None
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    restarts: int = 0
    halted: bool = False


@dataclass
class Launcher:
    settings: Settings
    demo: bool = True
    mail: bool = True
    # Environment of the child processes (default: this process's).
    env: dict[str, str] | None = None
    # Where each process's log lines go, one file per process (default: this
    # process's standard error).
    log_folder: Path | None = None
    # Processes of each service and of the relay.
    instances: int = 1
    children: dict[str, _Child] = field(default_factory=dict)
    # Each process's probes and metrics port (PMC_PROBE_ADDRESS), on 127.0.0.1.
    probe_ports: dict[str, int] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def gateway_url(self) -> str:
        port = self.settings.gateway_address.rsplit(":", 1)[-1]
        return f"http://127.0.0.1:{port}"

    @property
    def processes(self) -> dict[str, subprocess.Popen]:
        """The current process of each label (a restart replaces it)."""
        with self._lock:
            return {label: child.process for label, child in self.children.items()}

    def restarts(self, label: str) -> int:
        """How many times the supervisor restarted `label` on its own."""
        return self.children[label].restarts

    def probe_url(self, label: str) -> str:
        return f"http://127.0.0.1:{self.probe_ports[label]}"

    @staticmethod
    def _popen(
        command: list[str], env: dict[str, str] | None, log: IO[bytes] | None
    ) -> subprocess.Popen:
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)

    def _restart(self, label: str, child: _Child) -> subprocess.Popen:
        # Its probes' port taken meanwhile (by another platform's process):
        # another one, rather than a process that can never start again.
        address = child.env.get(ADDRESS_ENV) if child.env else None
        if (
            child.env is not None
            and address is not None
            and not port_is_free(int(address.rsplit(":", 1)[1]))
        ):
            self.probe_ports[label] = free_port()
            child.env[ADDRESS_ENV] = f"127.0.0.1:{self.probe_ports[label]}"
        return self._popen(child.command, child.env, child.log)

    def _spawn(self, label: str, *args: str, probes: bool = True) -> None:
        command = [sys.executable, "-m", "pmc.cli", *args]
        env = {
            **(os.environ if self.env is None else self.env),
            # Named in pg_stat_activity: which process holds which lock.
            "PGAPPNAME": label,
        }
        if probes:
            # Each process its own port: they share one machine here.
            self.probe_ports[label] = free_port()
            env[ADDRESS_ENV] = f"127.0.0.1:{self.probe_ports[label]}"
        log = None
        if self.log_folder is not None:
            self.log_folder.mkdir(parents=True, exist_ok=True)
            log = (self.log_folder / f"{label}.log").open("ab")
        with self._lock:
            self.children[label] = _Child(
                command, self._popen(command, env, log), time.monotonic(), env, log
            )

    def labels(self, name: str) -> list[str]:
        """The labels of a service's (or the relay's) processes."""
        if self.instances == 1:
            return [name]
        return [f"{name}#{n}" for n in range(1, self.instances + 1)]

    def halt(self, label: str) -> None:
        """Stop one process; the supervisor leaves it stopped until resume()."""
        with self._lock:
            child = self.children[label]
            child.halted = True
            child.restart_at = None
            process = child.process
        _terminate(process, timeout=20)

    def kill(self, label: str) -> None:
        """SIGKILL one process, as a lost node would; it stays stopped until
        resume(), as `halt` leaves it."""
        with self._lock:
            child = self.children[label]
            child.halted = True
            child.restart_at = None
            process = child.process
        process.kill()
        process.wait()

    def resume(self, label: str) -> None:
        """Start a halted process again with the same command."""
        with self._lock:
            child = self.children[label]
            if child.process.poll() is None:
                raise RuntimeError(f"{label} is still running")
            child.process = self._restart(label, child)
            child.started_at = time.monotonic()
            child.delay = FIRST_DELAY
            child.restart_at = None
            child.halted = False

    def start(self) -> None:
        ensure_database(self.settings)
        self._stopping.clear()
        if self.mail:
            self._spawn("mailcatcher", "mailcatcher", probes=False)
        if self.settings.card_provider == SIMULATOR:
            # The provider's side of card payments: the page's hosted fields.
            self._spawn("card-simulator", "card-simulator", probes=False)
        for name in registry.SERVICE_CLASSES:
            for label in self.labels(name):
                self._spawn(label, "serve", name)
        for label in self.labels("relay"):
            self._spawn(label, "relay")
        self._supervisor = threading.Thread(
            target=self._supervise, name="pmc-supervisor", daemon=True
        )
        self._supervisor.start()

    # -- supervision -----------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_EVERY):
            try:
                self.supervise_once()
            except Exception as exc:  # never let the supervisor itself die
                print(f"pmc up: supervisor error: {exc!r}", file=sys.stderr, flush=True)

    def supervise_once(self) -> None:
        """Notice stopped processes and restart those whose delay has passed."""
        now = time.monotonic()
        with self._lock:
            for label, child in self.children.items():
                if child.halted or self._stopping.is_set():
                    continue
                code = child.process.poll()
                if code is None:
                    continue
                if child.restart_at is None:
                    if now - child.started_at >= STABLE_AFTER:
                        child.delay = FIRST_DELAY
                    child.restart_at = now + child.delay
                    said = (
                        f"pmc up: {label} stopped (exit code {code}), "
                        f"restarting in {child.delay:g}s"
                    )
                    print(said, file=sys.stderr, flush=True)
                    if child.log is not None:  # beside what the process said last
                        child.log.write(f"{said}\n".encode())
                        child.log.flush()
                    child.delay = min(child.delay * 2, MAX_DELAY)
                elif now >= child.restart_at:
                    child.process = self._restart(label, child)
                    child.started_at = now
                    child.restart_at = None
                    child.restarts += 1

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                answer = requests.get(f"{self.gateway_url}/health/ready", timeout=3)
                if answer.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("the platform did not become ready in time")

    def load_demo(self) -> None:
        from pmc import demo

        demo.load(self.settings, self.gateway_url)
        print(f"demo school: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}", flush=True)

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
            self._supervisor = None
        with self._lock:
            processes = [child.process for child in self.children.values()]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with self._lock:
            for child in self.children.values():
                if child.log is not None:
                    child.log.close()

    def run(self) -> int:
        stopping = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            self.start()
            self.wait_ready()
            if self.demo:
                self.load_demo()
            print(
                f"\nPasser mon code is up: {self.gateway_url}/\n"
                f"  services: {', '.join(registry.SERVICE_CLASSES)} + relay\n"
                f"  e-mails: {self.settings.mail_folder}/ (mailcatcher)\n"
                f"  SMS: {self.settings.sms_folder}/ (SMS catcher)\n"
                f"  registered e-letters: {self.settings.registered_letter_folder}/"
                " (simulator; pmc registered-letter)\n"
                f"  letters: {self.settings.print_folder}/ (print queue)\n"
                "  a process that stops is restarted; Ctrl-C stops everything.\n"
                "  probes and metrics (/health/live, /health/ready, /metrics):\n"
                + "".join(
                    f"    {label:<12} {self.probe_url(label)}\n"
                    for label in self.probe_ports
                ),
                flush=True,
            )
            while not stopping.wait(0.5):
                pass
        except RuntimeError as exc:
            print(f"pmc up: {exc}", file=sys.stderr)
            return 1
        finally:
            self.stop()
        return 0


# Listening ports are drawn below Linux's ephemeral range (32768-60999 by
# default): a port from that range, free when drawn, may be taken as the local
# port of any outgoing connection (to PostgreSQL, RabbitMQ) while its process
# is down, and the process restarted on it then fails to bind.
LISTEN_PORTS = range(20_000, 32_768)


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range."""
    for port in random.sample(LISTEN_PORTS, 200):
        if port_is_free(port):
            return port
    raise RuntimeError("no free port between 20000 and 32767")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _terminate(process: subprocess.Popen, timeout: float) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
