"""`pmc up`: every process of the platform on one machine, supervised."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import requests

from pmc import registry
from services.common.db import ensure_database
from services.common.settings import Settings


@dataclass
class Launcher:
    settings: Settings
    demo: bool = True
    mail: bool = True
    # Environment of the child processes (default: this process's).
    env: dict[str, str] | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        port = self.settings.gateway_address.rsplit(":", 1)[-1]
        return f"http://127.0.0.1:{port}"

    def _spawn(self, label: str, *args: str) -> None:
        command = [sys.executable, "-m", "pmc.cli", *args]
        self.processes[label] = subprocess.Popen(command, env=self.env)

    def halt(self, label: str) -> None:
        """Stop one process (it can be resumed)."""
        process = self.processes[label]
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def resume(self, label: str) -> None:
        """Start a halted process again with the same command."""
        process = self.processes[label]
        if process.poll() is None:
            raise RuntimeError(f"{label} is still running")
        self.processes[label] = subprocess.Popen(process.args, env=self.env)

    def start(self) -> None:
        ensure_database(self.settings)
        if self.mail:
            self._spawn("mailcatcher", "mailcatcher")
        for name in registry.SERVICE_CLASSES:
            self._spawn(name, "serve", name)
        self._spawn("relay", "relay")

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_children()
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

    def _check_children(self) -> None:
        for label, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{label} stopped (exit code {process.returncode})")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

    def run(self) -> int:
        stopping = False

        def on_signal(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

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
                f"  letters: {self.settings.print_folder}/ (print queue)\n"
                "  Ctrl-C stops everything.\n",
                flush=True,
            )
            while not stopping:
                self._check_children()
                time.sleep(0.5)
        except RuntimeError as exc:
            print(f"pmc up: {exc}", file=sys.stderr)
            return 1
        finally:
            self.stop()
        return 0
