"""pmc: run the platform locally, follow and replay its logs.

pmc up                      every service, the relays, the gateway, demo data
pmc serve NAME              one nameko service (what `up` and Kubernetes run)
pmc relay [SERVICE ...]     the outbox relays (default: every publishing service)
pmc migrate                 create every service's schema and tables, then exit
pmc history AGGREGATE_ID    an aggregate's events, in order, with their times;
                            a reservation's steps as a table (--raw: its events)
pmc timeline (--reservation|--candidate|--checkout) ID [--json]
                            every service's events of one story, in order,
                            joined by ids and correlation ids
pmc replay SERVICE MODEL [--wait S] [--in-place]
                            rebuild a read model from the log, aside, and swap
                            it in (the service may run); --in-place: stopped
pmc audit-refunds [--school ID] [--csv FILE]
                            refunds due (booking) against refunds paid (billing)
pmc export-events SERVICE... --to DIR [--from-position N]
                            event logs as Parquet for analysts, no personal data
pmc dead-letters list|replay [QUEUE]
pmc republish SERVICE --from N [--to N] [--type EVENT_TYPE...] [--to-queue QUEUE]
                            publish a service's events again (duplicates are
                            recognised by every consumer)
pmc parked list|retry [SERVICE] [--id N]
                            events a read model or sender could not apply
pmc mailcatcher             a local SMTP server that keeps every e-mail in a folder
pmc card-simulator          the card simulator's hosted fields (development only)
pmc keys check|rotate       check the key-encryption key; re-wrap every subject key
pmc sepa-file DAY           the day's SEPA debits as pain.008
pmc sepa-transfers DAY      the SEPA refunds due by DAY as pain.001 transfers
pmc sepa-returns FILE       apply the bank's returned debits (camt.054, pain.002)
pmc sepa-lift SCHOOL_ID     SEPA again for a school whose returns are settled
pmc cancel-session SESSION_ID [--reason TEXT]
                            cancel an exam session; its seats cancelled, refunded
pmc import-results FILE     record a centre's results (reservation;note)
pmc centre-key issue|revoke|list [CENTRE_ID|KEY_ID]
                            an exam centre's key to POST /api/centres/resultats
pmc registered-letter list|show|accept|refuse TARGET
                            the registered e-letter simulator's recipient
"""

from __future__ import annotations

import sys
import warnings

# eventlet says on import that it is deprecated, in plain text: every line a
# process writes must be JSON (services/common/logs.py). Pinned, it stays.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# A nameko service runs on eventlet: patch before anything imports socket or
# threading. Only `serve` needs it; the other commands run on plain threads.
if len(sys.argv) > 1 and sys.argv[1] == "serve":
    import eventlet

    eventlet.monkey_patch()

import argparse
import logging

from pmc import (
    back_office,
    centre_keys,
    commands,
    operations,
    registered_letters,
    republish,
    results,
    sessions,
)
from services.common import logs
from services.common.settings import Settings, SettingsError

LONG_RUNNING = ("serve", "relay", "up", "mailcatcher", "card-simulator")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmc", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the whole platform locally")
    up.add_argument("--no-demo", action="store_true", help="skip the demo data")
    up.add_argument("--no-mailcatcher", action="store_true")
    up.add_argument(
        "--instances", type=int, default=1, help="processes of each service and relay"
    )

    serve = sub.add_parser("serve", help="run one nameko service")
    serve.add_argument("name")

    relay = sub.add_parser("relay", help="publish committed events to RabbitMQ")
    relay.add_argument("services", nargs="*")

    sub.add_parser("migrate", help="create every service's schema and tables")

    history = sub.add_parser("history", help="an aggregate's events in order")
    history.add_argument("aggregate_id")
    history.add_argument(
        "--raw", action="store_true", help="a reservation's events, not its steps"
    )

    audit = sub.add_parser(
        "audit-refunds",
        help="refunds due against refunds paid, from the logs (exit 1 on a difference)",
    )
    audit.add_argument("--school", help="one school's cancellations and refunds")
    audit.add_argument("--csv", help="also write the differences to this CSV file")

    timeline = sub.add_parser(
        "timeline",
        help="a reservation's, candidate's or payment's events across services",
    )
    subject = timeline.add_mutually_exclusive_group(required=True)
    for name in ("reservation", "candidate", "checkout"):
        subject.add_argument(f"--{name}", metavar="ID")
    timeline.add_argument("--json", action="store_true", help="JSON lines, for tools")

    replay = sub.add_parser("replay", help="rebuild a read model from the log")
    replay.add_argument("service")
    replay.add_argument("read_model")
    replay.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the running service to swap the rebuilt model in",
    )
    replay.add_argument(
        "--in-place",
        action="store_true",
        help="empty the live model and replay into it (the service must be stopped)",
    )
    replay.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes that project the log (default: one per core)",
    )
    replay.add_argument(
        "--batch",
        type=int,
        default=None,
        metavar="EVENTS",
        help="log positions each process takes at a time (default: 2000)",
    )

    # Defined here: pmc.export loads pyarrow, which no other command needs.
    export = sub.add_parser(
        "export-events",
        help="services' event logs as Parquet files, personal data left out",
    )
    export.add_argument("services", nargs="+", metavar="SERVICE")
    export.add_argument("--to", required=True, metavar="DIR", help="folder to write")
    export.add_argument(
        "--from-position",
        type=int,
        default=0,
        metavar="N",
        help="only the events after log position N (a previous export's last)",
    )

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
    transfers = sub.add_parser(
        "sepa-transfers", help="the SEPA refunds due by DAY as pain.001 transfers"
    )
    transfers.add_argument("day", help="AAAA-MM-JJ")
    returns = sub.add_parser(
        "sepa-returns", help="apply the bank's returned debits (camt.054, pain.002)"
    )
    returns.add_argument("file")
    lift = sub.add_parser(
        "sepa-lift", help="let a school pay by SEPA again once its returns are settled"
    )
    lift.add_argument("school_id")
    lift.add_argument("--note", default="", help="why (kept in the school's history)")

    sub.add_parser(
        "card-simulator",
        help="the card simulator's tokenisation, for the payment page (development)",
    )
    keys = sub.add_parser(
        "keys", help="the key store: check its key-encryption key, or rotate it"
    )
    keys.add_argument("action", choices=["check", "rotate"])

    agent = sub.add_parser(
        "create-agent",
        help="a back-office agent's account (its password on the standard input)",
    )
    agent.add_argument("email")
    agent.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["guichet", "revue_en_ligne", "facteur"],
    )

    registered_letters.add_parser(sub)
    results.add_parser(sub)
    centre_keys.add_parser(sub)
    sessions.add_parser(sub)
    republish.add_parser(sub)

    mail = sub.add_parser("mailcatcher", help="local SMTP server for development")
    mail.add_argument("--port", type=int, default=None)
    mail.add_argument("--folder", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in LONG_RUNNING:
        # What runs for good logs JSON lines, for the platform's log shipping.
        label = args.name if args.command == "serve" else args.command
        logs.configure(label)
    else:
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        # Every process checks its settings before anything else: a bad or
        # unsafe one (production without a strong key or a real card
        # provider) stops it here, on one line naming the variable.
        Settings.from_env()
    except SettingsError as error:
        # Its text is written to name the variable, never its value: unlike
        # other exceptions' (logs.describe_error), it is safe to print.
        logging.getLogger("pmc").critical("refusing to start: %s", str(error))
        return 2
    name = args.command.replace("-", "_")
    # Each command is a function of the module of its kind.
    kind = next(m for m in (commands, operations, back_office) if hasattr(m, name))
    handler = getattr(kind, name)
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
