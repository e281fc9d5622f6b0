"""pmc: run the platform locally, follow and replay its logs.

pmc up                      every service, the relays, the gateway, demo data
pmc serve NAME              one nameko service (what `up` and Kubernetes run)
pmc relay [SERVICE ...]     the outbox relays (default: every publishing service)
pmc history AGGREGATE_ID    an aggregate's events, in order, with their times
pmc replay SERVICE MODEL    rebuild a read model from the log
pmc dead-letters list|replay [QUEUE]
pmc parked list|retry [SERVICE] [--id N]
                            events a read model or sender could not apply
pmc mailcatcher             a local SMTP server that keeps every e-mail in a folder
"""

from __future__ import annotations

import sys

# A nameko service runs on eventlet: patch before anything imports socket or
# threading. Only `serve` needs it; the other commands run on plain threads.
if len(sys.argv) > 1 and sys.argv[1] == "serve":
    import eventlet

    eventlet.monkey_patch()

import argparse
import logging

from pmc import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the whole platform locally")
    up.add_argument("--no-demo", action="store_true", help="skip the demo data")
    up.add_argument("--no-mailcatcher", action="store_true")

    serve = sub.add_parser("serve", help="run one nameko service")
    serve.add_argument("name")

    relay = sub.add_parser("relay", help="publish committed events to RabbitMQ")
    relay.add_argument("services", nargs="*")

    history = sub.add_parser("history", help="an aggregate's events in order")
    history.add_argument("aggregate_id")

    replay = sub.add_parser("replay", help="rebuild a read model from the log")
    replay.add_argument("service")
    replay.add_argument("read_model")

    dead = sub.add_parser("dead-letters", help="inspect or replay dead letters")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("queue", nargs="?", help="handler queue (default: all)")

    parked = sub.add_parser(
        "parked", help="events a read model or sender could not apply"
    )
    parked.add_argument("action", choices=["list", "retry"])
    parked.add_argument("service", nargs="?", help="service (default: all)")
    parked.add_argument(
        "--id",
        type=int,
        action="append",
        help="retry only the event at this log position (repeatable)",
    )
    parked.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="seconds to wait for a running service to retry (default 30)",
    )

    for kind in ("centres", "sessions"):
        bulk = sub.add_parser(f"import-{kind}", help=f"create {kind} from a CSV file")
        bulk.add_argument("file")

    sepa = sub.add_parser("sepa-file", help="the day's SEPA debits as pain.008")
    sepa.add_argument("day", help="AAAA-MM-JJ")

    mail = sub.add_parser("mailcatcher", help="local SMTP server for development")
    mail.add_argument("--port", type=int, default=None)
    mail.add_argument("--folder", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = getattr(commands, args.command.replace("-", "_"))
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
