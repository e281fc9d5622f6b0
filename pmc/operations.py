"""The commands behind `pmc` that look into a running platform and repair it:
an aggregate's or a reservation's history, the refunds' audit, replaying a
read model, exporting the logs, dead letters, parked events, republishing,
the key store.

Apart from commands.py (the commands that run the platform's processes)
because these run once, against the data, and most hand over to a module of
their own under pmc/."""

from __future__ import annotations

import argparse
import json
import sys

from pmc import registry
from services.common.settings import Settings


def history(args: argparse.Namespace) -> int:
    """An aggregate's events in order; a reservation's steps as a table
    (its events with --raw)."""
    from pmc.history import history as run

    return run(args)


def timeline(args: argparse.Namespace) -> int:
    """One reservation's, candidate's or payment's events across services."""
    from pmc.timeline_search import timeline as run

    return run(args)


def audit_refunds(args: argparse.Namespace) -> int:
    """The refunds due against the refunds paid, reservation by reservation."""
    from pmc.refunds_audit import audit_refunds as run

    return run(args)


def replay(args: argparse.Namespace) -> int:
    """A read model rebuilt from the log, aside and swapped in (pmc/replay.py)."""
    from pmc.replay import run

    return run(args)


def export_events(args: argparse.Namespace) -> int:
    """Services' event logs as Parquet files for analysts (pmc/export.py)."""
    from pmc.export import export_events as run

    return run(args)


def dead_letters(args: argparse.Namespace) -> int:
    from services.common import deadletters

    settings = Settings.from_env()
    queues = (
        [args.queue] if args.queue else [s.queue_name for s in registry.subscriptions()]
    )
    for queue in queues:
        if args.action == "list":
            letters = deadletters.inspect(settings.amqp_uri, queue)
            print(f"{queue}: {len(letters)} dead letter(s)")
            for letter in letters:
                print(f"  {json.dumps(letter.body, default=str)[:200]}")
                print(f"    error: {letter.error[:300]}")
        else:
            moved = deadletters.replay(settings.amqp_uri, queue)
            print(f"{queue}: {moved} message(s) put back")
    if args.action == "list" and not args.queue:
        from services.common.topology import unrouted_depths

        for source, depth in unrouted_depths(settings.amqp_uri, _sources()).items():
            print(f"{source}.events.unrouted: {depth} message(s) nobody subscribes to")
    return 0


def _sources() -> list[str]:
    """The services whose relay publishes events."""
    return [
        name
        for name in registry.APPLICATIONS
        if registry.application_class(name).published
    ]


def republish(args: argparse.Namespace) -> int:
    """A service's events published again from a log position (pmc/republish.py)."""
    from pmc.republish import run

    return run(args)


def parked(args: argparse.Namespace) -> int:
    """Events read models and senders set aside (TR-2): list them, or retry."""
    from pmc import parking

    if args.service and args.service not in registry.APPLICATIONS:
        known = ", ".join(registry.APPLICATIONS)
        print(f"unknown service: {args.service} (known: {known})", file=sys.stderr)
        return 2
    names = [args.service] if args.service else list(registry.APPLICATIONS)
    settings = Settings.from_env()
    if args.action == "list":
        return parking.list_parked(settings, names)
    return parking.retry_parked(settings, names, args.id, args.wait)


def keys(args: argparse.Namespace) -> int:
    """Check the key store's key-encryption key, or re-wrap every key with it."""
    from pmc.keys import keys as run

    return run(args)


__all__ = [
    "audit_refunds",
    "dead_letters",
    "export_events",
    "history",
    "keys",
    "parked",
    "replay",
    "republish",
    "timeline",
]
