"""The real platform: every process started as `pmc up` starts it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmc.launcher import Launcher

# The platforms' log folders, read back when a run fails (see below).
LOG_FOLDERS = pytest.StashKey[list[Path]]()
# What a failed run prints of each process's log: its last lines above info
# and any line that is not JSON (a traceback, a crash before logging started).
LOG_LINES_SHOWN = 12


def _worth_showing(line: str) -> bool:
    if line.startswith("{"):
        return '"level": "info"' not in line and '"level": "debug"' not in line
    # The mail catcher's own record of each message, not a complaint.
    return bool(line.strip()) and not line.startswith(("mail kept", "mailcatcher on"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """A failed run in CI leaves nothing behind but its output: say there
    what each process of the platform complained of."""
    if exitstatus == 0:
        return
    for folder in config.stash.get(LOG_FOLDERS, []):
        for log in sorted(folder.glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()
            shown = [line[:400] for line in lines if _worth_showing(line)]
            if shown:
                terminalreporter.write_sep("-", f"platform log: {log.name}")
                for line in shown[-LOG_LINES_SHOWN:]:
                    terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def stack(request, settings, platform_env) -> Iterator[Launcher]:
    # Each process's JSON log lines in a file of its own (see platform_logs).
    logs = Path(settings.mail_folder).parent / "logs"
    request.config.stash.setdefault(LOG_FOLDERS, []).append(logs)
    launcher = Launcher(
        settings, demo=False, mail=True, env=platform_env, log_folder=logs
    )
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


SIRET = "73282932000074"  # a real, valid SIRET
PASSWORD = "Permis2026"


def sign_up_payload(email: str, **overrides: object) -> dict:
    return {
        "email": email,
        "password": PASSWORD,
        "civility": "MME",
        "last_name": "Durand",
        "first_name": "Sophie",
        "phone": "06 12 34 56 78",
        "company_name": "Auto-école du Centre",
        "siret": SIRET,
        "address": {
            "street": "12 rue de la République",
            "postal_code": "69001",
            "city": "Lyon",
        },
        **overrides,
    }


def sign_up_school(gateway: str, mail_folder, email: str | None = None) -> dict:
    """Sign up, activate from the e-mail, sign in: a school as the API sees it."""
    import secrets as _secrets

    import requests

    from tests.helpers import link_params, mails_to, wait_for

    email = email or f"ecole-{_secrets.token_hex(4)}@example.fr"
    created = requests.post(f"{gateway}/api/comptes", json=sign_up_payload(email))
    assert created.status_code == 201, created.text
    mail = wait_for(lambda: mails_to(mail_folder, email), timeout=30)[0]
    activated = requests.post(
        f"{gateway}/api/comptes/activation", json=link_params(mail, "activation")
    )
    assert activated.status_code == 200, activated.text
    session = requests.post(
        f"{gateway}/api/sessions", json={"email": email, "password": PASSWORD}
    )
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    return {
        "email": email,
        "account": session.json()["account"],
        "headers": {"Authorization": f"Bearer {token}"},
    }


@pytest.fixture
def new_school(gateway, mail_folder):
    """A new school, signed in, each time it is called."""

    def make(email: str | None = None) -> dict:
        return sign_up_school(gateway, mail_folder, email)

    return make


@pytest.fixture
def travel(settings):
    """Move the clock of every process of the platform; put it back afterwards."""
    from datetime import timedelta
    from pathlib import Path

    path = Path(settings.clock_offset_file)
    offset = timedelta(0)

    def move(delta: timedelta) -> None:
        nonlocal offset
        offset += delta
        path.write_text(str(offset.total_seconds()))

    yield move
    path.write_text("0")


@pytest.fixture(scope="module")
def scheduling(settings):
    """The scheduling application, in this process, on the run's schemas."""
    from services.scheduling.application import SchedulingApplication
    from services.scheduling.projections import SessionBoardView

    app = SchedulingApplication(settings=settings)
    # The search's board, as the running service keeps it: what `session()`
    # says of free seats is what schools see (booking's word, relayed).
    board = SessionBoardView(app.datastore, "session_board")
    board.create_table()
    app.views["session_board"] = board
    yield app
    app.close()


@pytest.fixture(scope="module")
def booking(settings):
    """The booking application, in this process, on the run's schemas."""
    from services.booking.application import BookingApplication

    # No copies in memory: the test reads what the running service wrote.
    app = BookingApplication(settings=settings, env={"AGGREGATE_CACHE_MAXSIZE": ""})
    yield app
    app.close()


@pytest.fixture(scope="module")
def candidates(settings):
    """The candidates application, in this process, on the run's schemas."""
    from services.candidates.application import CandidatesApplication

    app = CandidatesApplication(settings=settings)
    yield app
    app.close()
