"""The commands behind `pmc` that run the platform's processes: a service, the
relay, the migration, the local platform (`pmc up`), the mail catcher, the
card simulator. The other commands are in operations.py (looking into and
repairing a running platform) and back_office.py (the back office's acts).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading

from pmc import registry
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
    "card_simulator",
    "mailcatcher",
    "migrate",
    "relay",
    "serve",
    "up",
]
