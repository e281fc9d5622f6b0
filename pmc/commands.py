"""The commands behind `pmc`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading

from pmc import registry
from services.common import inputs
from services.common.settings import Settings


def _settings() -> Settings:
    return Settings.from_env()


def serve(args: argparse.Namespace) -> int:
    import eventlet
    from nameko.runners import ServiceRunner

    from services.common.container import serve_probes
    from services.common.db import ensure_database
    from services.common.keystore import keystore_from_settings

    settings = _settings()
    ensure_database(settings)
    # A key store this process could not open (a wrong or missing KEK) stops
    # it here, saying why, rather than at its first sealed message.
    keystore_from_settings(settings)
    # A refusal a user can act on (PlatformError) is an answer, not a failure:
    # nameko logs those as "expected" warnings; keep only real errors.
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)
    runner = ServiceRunner(registry.nameko_config(args.name, settings))
    runner.add_service(registry.service_class(args.name))

    def shutdown(signum: int, frame: object) -> None:
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    for container in runner.containers:
        serve_probes(container)
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()
    return 0


def relay(args: argparse.Namespace) -> int:
    from services.common.db import ensure_database
    from services.common.keystore import keystore_from_settings
    from services.common.probes import serve_relay
    from services.common.relay import Relay

    settings = _settings()
    ensure_database(settings)
    keystore_from_settings(settings)  # refuses a wrong KEK before relaying
    names = args.services or [
        name
        for name in registry.APPLICATIONS
        if registry.application_class(name).published
    ]
    subscriptions = registry.subscriptions()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    relays = [
        Relay(
            registry.application_class(name)(settings=settings),
            settings.amqp_uri,
            subscriptions,
        )
        for name in names
    ]
    threads = [
        threading.Thread(target=r.run, args=(stop,), name=f"relay-{r.source}")
        for r in relays
    ]
    serve_relay(relays, threads, stop)
    for thread in threads:
        thread.start()
    logging.getLogger(__name__).info("relaying", extra={"services": names})
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=0.5)
    return 0


def migrate(args: argparse.Namespace) -> int:
    """Create the database, every service's schema and tables, then exit.

    Each process also creates what it lacks when it starts (IF NOT EXISTS);
    running this first (a Kubernetes Job) means replicas starting together
    never race to create the same tables.
    """
    from services.common.db import ensure_database
    from services.common.keystore import keystore_from_settings

    settings = _settings()
    ensure_database(settings)
    # The key store's schema and table; opening it also checks the KEK.
    keystore_from_settings(settings)
    print(f"keys: ready in schema {settings.schema(settings.keystore_schema)}")
    for name in registry.APPLICATIONS:
        app = registry.application_class(name)(settings=settings)
        try:
            # Building the vault moves keys kept beside the data to the key store.
            app.vault  # noqa: B018
            for model in registry.read_models(name).values():
                model.follower(app)
        finally:
            app.close()
        print(f"{name}: tables ready in schema {settings.schema(name)}", flush=True)
    return 0


def audit_refunds(args: argparse.Namespace) -> int:
    """The refunds due against the refunds paid, reservation by reservation."""
    from pmc.refunds_audit import audit_refunds as run

    return run(args)


def history(args: argparse.Namespace) -> int:
    """An aggregate's events in order; a reservation's steps as a table
    (its events with --raw)."""
    from pmc.history import history as run

    return run(args)


def timeline(args: argparse.Namespace) -> int:
    """One reservation's, candidate's or payment's events across services."""
    from pmc.timeline_search import timeline as run

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

    settings = _settings()
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
    settings = _settings()
    if args.action == "list":
        return parking.list_parked(settings, names)
    return parking.retry_parked(settings, names, args.id, args.wait)


def _sources() -> list[str]:
    """The services whose relay publishes events."""
    return [
        name
        for name in registry.APPLICATIONS
        if registry.application_class(name).published
    ]


def _import(args: argparse.Namespace, method: str) -> int:
    from pathlib import Path

    from services.scheduling.application import SchedulingApplication
    from services.scheduling.domain import SchedulingError

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file} as UTF-8 text: {exc}", file=sys.stderr)
        return 2
    app = SchedulingApplication(settings=_settings())
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
    app = BillingApplication(settings=_settings())
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


def centre_key(args: argparse.Namespace) -> int:
    from pmc.centre_keys import centre_key as run

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


def create_agent(args: argparse.Namespace) -> int:
    from pmc.agents import create_agent as run

    return run(args)


def cancel_session(args: argparse.Namespace) -> int:
    from pmc.sessions import cancel_session as run

    return run(args)


def registered_letter(args: argparse.Namespace) -> int:
    from pmc.registered_letters import run

    return run(args)


def mailcatcher(args: argparse.Namespace) -> int:
    from pmc.mailcatcher import serve_forever

    settings = _settings()
    folder = args.folder or settings.mail_folder
    serve_forever(settings.smtp_host, args.port or settings.smtp_port, folder)
    return 0


def card_simulator(args: argparse.Namespace) -> int:
    """The simulator's hosted fields: card numbers in, tokens out. It plays a
    real provider's servers, so it runs only where the simulator is the
    provider, which settings allow in development mode only."""
    from werkzeug.serving import make_server

    from services.billing.hosted_fields import HostedFields
    from services.billing.provider import SimulatedCardProvider
    from services.billing.simulator import PostgresLedger, simulator_datastore
    from services.common.db import ensure_database
    from services.common.settings import SIMULATOR

    settings = _settings()
    if settings.card_provider != SIMULATOR:
        print("pmc card-simulator: PMC_CARD_PROVIDER is not the simulator")
        return 2
    ensure_database(settings)
    ledger = PostgresLedger(settings, simulator_datastore(settings))
    host, _, port = settings.card_simulator_address.rpartition(":")
    server = make_server(
        host, int(port), HostedFields(SimulatedCardProvider(ledger)), threaded=True
    )
    signal.signal(
        signal.SIGTERM,
        lambda *_: threading.Thread(target=server.shutdown, daemon=True).start(),
    )
    logging.getLogger(__name__).info(
        "card simulator: tokens at %s/jetons", settings.card_simulator_url
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def up(args: argparse.Namespace) -> int:
    from pmc.launcher import Launcher

    return Launcher(
        _settings(),
        demo=not args.no_demo,
        mail=not args.no_mailcatcher,
        instances=max(1, args.instances),
    ).run()


__all__ = [
    "audit_refunds",
    "card_simulator",
    "dead_letters",
    "export_events",
    "history",
    "import_centres",
    "import_sessions",
    "mailcatcher",
    "migrate",
    "parked",
    "relay",
    "replay",
    "sepa_file",
    "sepa_lift",
    "sepa_returns",
    "sepa_transfers",
    "serve",
    "timeline",
    "up",
]


def keys(args: argparse.Namespace) -> int:
    """Check the key store's key-encryption key, or re-wrap every key with it."""
    from pmc.keys import keys as run

    return run(args)
