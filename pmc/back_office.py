"""The back office's commands behind `pmc`: imports (centres, sessions,
results), the SEPA files and returns, centres' keys, agents, cancelled
sessions, registered letters.

Apart from commands.py (the commands that run the platform's processes)
because these are acts of the back office on one service's data, each run
once by an operator."""

from __future__ import annotations

import argparse
import sys

from services.common import inputs
from services.common.settings import Settings


def _import(args: argparse.Namespace, method: str) -> int:
    from pathlib import Path

    from services.scheduling.application import SchedulingApplication
    from services.scheduling.domain import SchedulingError

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file} as UTF-8 text: {exc}", file=sys.stderr)
        return 2
    app = SchedulingApplication(settings=Settings.from_env())
    try:
        report = getattr(app, method)(text)
    except SchedulingError as exc:
        print(f"{exc}: {exc.fields}", file=sys.stderr)
        return 2
    finally:
        app.close()
    print(f"{report['created']} created, {len(report['failed'])} line(s) refused")
    for failure in report["failed"]:
        print(f"  line {failure['line']}: {failure['errors']}")
    return 0 if not report["failed"] else 1


def import_centres(args: argparse.Namespace) -> int:
    return _import(args, "import_centres")


def import_sessions(args: argparse.Namespace) -> int:
    return _import(args, "import_sessions")


def sepa_file(args: argparse.Namespace) -> int:
    from services.billing.application import BillingApplication
    from services.billing.domain import CheckoutError
    from services.billing.projections import READ_MODELS

    try:
        day = inputs.day(args.day)
    except inputs.InputError as exc:
        print(f"DAY: {exc}", file=sys.stderr)
        return 2
    app = BillingApplication(settings=Settings.from_env())
    try:
        follower = READ_MODELS["payment_list"].follower(app)
        app.views["payment_list"] = follower.view
        sys.stdout.buffer.write(app.sepa_file(day))
    except CheckoutError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        app.close()
    return 0


def import_results(args: argparse.Namespace) -> int:
    from pmc.results import import_results as run

    return run(args)


def sepa_returns(args: argparse.Namespace) -> int:
    from pmc.sepa import sepa_returns as run

    return run(args)


def sepa_transfers(args: argparse.Namespace) -> int:
    from pmc.sepa import sepa_transfers as run

    return run(args)


def sepa_lift(args: argparse.Namespace) -> int:
    from pmc.sepa import sepa_lift as run

    return run(args)


def centre_key(args: argparse.Namespace) -> int:
    from pmc.centre_keys import centre_key as run

    return run(args)


def create_agent(args: argparse.Namespace) -> int:
    from pmc.agents import create_agent as run

    return run(args)


def cancel_session(args: argparse.Namespace) -> int:
    from pmc.sessions import cancel_session as run

    return run(args)


def registered_letter(args: argparse.Namespace) -> int:
    from pmc.registered_letters import run

    return run(args)


__all__ = [
    "cancel_session",
    "centre_key",
    "create_agent",
    "import_centres",
    "import_results",
    "import_sessions",
    "registered_letter",
    "sepa_file",
    "sepa_lift",
    "sepa_returns",
    "sepa_transfers",
]
