"""`pmc republish`: a service's events published again, from a log position.

For a consumer that was down when its messages expired, lost its queue, or is
new: the events between two positions of the service's log are translated as
the relay translates them (services/common/outbox.py) and published with
publisher confirms, in log order, under their own positions. A consumer that
applied one already recognises it (its tracking) and acknowledges it with no
effect: a re-published message is an ordinary duplicate.

The relay keeps running meanwhile: this command reads the log on a connection
of its own and never takes the relay's lead, nor moves its position.

By default the messages go to the service's events exchange (every queue
subscribed to their event type gets them); `--to-queue` sends them to one
subscriber's queue only, through the default exchange, leaving the others
undisturbed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmc import registry
from services.common.settings import Settings

if TYPE_CHECKING:
    from services.common.topology import Subscription


class Refused(ValueError):
    """Arguments the command cannot act on (exit 2, nothing published)."""


@dataclass(frozen=True)
class Plan:
    """What to publish again: where from, to where, which events."""

    service: str
    first: int
    last: int | None
    event_types: frozenset[str] | None
    queue: str | None


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "republish",
        help="publish a service's events again from a log position",
    )
    parser.add_argument("service", metavar="SERVICE")
    parser.add_argument(
        "--from",
        dest="first",
        type=int,
        required=True,
        metavar="POSITION",
        help="first log position to publish again (inclusive)",
    )
    parser.add_argument(
        "--to",
        dest="last",
        type=int,
        default=None,
        metavar="POSITION",
        help="last log position to publish again (inclusive; default: the end)",
    )
    parser.add_argument(
        "--type",
        dest="event_types",
        action="extend",
        nargs="+",
        default=None,
        metavar="EVENT_TYPE",
        help="only these event types (e.g. ReservationConfirmed)",
    )
    parser.add_argument(
        "--to-queue",
        dest="queue",
        default=None,
        metavar="QUEUE",
        help="only to this subscriber's queue (see `pmc dead-letters list`)",
    )


def plan(args: argparse.Namespace, subscriptions: list[Subscription]) -> Plan:
    """The arguments checked against what the platform publishes (no I/O
    but loading the service's code); raises Refused saying what is wrong."""
    sources = [
        n for n in registry.APPLICATIONS if registry.application_class(n).published
    ]
    if args.service not in sources:
        raise Refused(
            f"unknown service: {args.service} (services that publish: "
            f"{', '.join(sources)})"
        )
    if args.first < 0 or (args.last is not None and args.last < 0):
        raise Refused("a log position is never negative")
    if args.last is not None and args.first > args.last:
        raise Refused(f"--from {args.first} is after --to {args.last}")
    published = {
        p.contract.event_type
        for p in registry.application_class(args.service).published.values()
    }
    wanted = set(args.event_types) if args.event_types else None
    if wanted and (unknown := wanted - published):
        raise Refused(
            f"{args.service} publishes no {', '.join(sorted(unknown))} "
            f"(it publishes: {', '.join(sorted(published))})"
        )
    if args.queue is not None:
        wanted = _of_queue(args.service, args.queue, wanted, subscriptions)
    return Plan(
        args.service,
        args.first,
        args.last,
        frozenset(wanted) if wanted else None,
        args.queue,
    )


def _of_queue(
    service: str,
    queue: str,
    wanted: set[str] | None,
    subscriptions: list[Subscription],
) -> set[str]:
    """The one event type a subscriber's queue takes: a queue is bound for
    one type, and its handler reads that contract only."""
    bound = {s.queue_name: s for s in subscriptions if s.source == service}
    subscription = bound.get(queue)
    if subscription is None:
        known = "\n  ".join(sorted(bound)) or "none"
        raise Refused(
            f"{queue} is not a queue subscribed to {service}'s events "
            f"(those are:\n  {known})"
        )
    if wanted and subscription.event_type not in wanted:
        raise Refused(
            f"{queue} only takes {subscription.event_type}, "
            f"not {', '.join(sorted(wanted))}"
        )
    return {subscription.event_type}


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pmc.republisher import Interrupted, republish

    try:
        checked = plan(args, registry.subscriptions())
    except Refused as refused:
        print(f"pmc republish: {refused}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    with tqdm(unit="event", file=sys.stderr, desc=checked.service) as bar:

        def total(n: int) -> None:
            bar.total = n
            bar.refresh()

        try:
            read, published = republish(settings, checked, total, bar.update)
        except Refused as refused:
            bar.close()
            print(f"pmc republish: {refused}", file=sys.stderr)
            return 2
        except Interrupted as stopped:
            bar.close()
            print(
                f"pmc republish: stopped ({stopped.reason}); every event up to "
                f"position {stopped.confirmed} is published: run it again with "
                f"--from {stopped.confirmed + 1}",
                file=sys.stderr,
            )
            return 1
    where = f"queue {checked.queue}" if checked.queue else f"{checked.service}.events"
    print(
        f"{published} message(s) republished to {where} "
        f"({read} event(s) read from position {checked.first}"
        + (f" to {checked.last})" if checked.last is not None else " to the end)")
    )
    return 0
