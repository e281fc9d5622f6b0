"""The real platform: every process started as `pmc up` starts it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from pmc.launcher import Launcher


@pytest.fixture(scope="session")
def stack(settings, platform_env) -> Iterator[Launcher]:
    launcher = Launcher(settings, demo=False, mail=True, env=platform_env)
    launcher.start()
    try:
        launcher.wait_ready(timeout=60)
        yield launcher
    finally:
        launcher.stop()


@pytest.fixture(scope="session")
def gateway(stack: Launcher) -> str:
    return stack.gateway_url


@pytest.fixture(scope="session")
def pmc(platform_env):
    """Run a `pmc` command as an operator would, in this run's environment."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pmc.cli", *args],
            env=platform_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
