"""`pmc migrate`, the Kubernetes Job run before the processes: it leaves every
service's tables in place, and running it again changes nothing."""

from __future__ import annotations

import subprocess
import sys

from pmc import registry
from services.common.db import connect
from services.common.settings import Settings


def _tables(settings: Settings) -> dict[str, set[str]]:
    schemas = [settings.schema(name) for name in registry.APPLICATIONS]
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema = ANY(%s)",
            (schemas,),
        ).fetchall()
    found: dict[str, set[str]] = {schema: set() for schema in schemas}
    for schema, table in rows:
        found[schema].add(table)
    return found


def _migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmc.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_creates_every_services_tables_and_can_run_again(
    platform_env: dict[str, str], settings: Settings
) -> None:
    # Schemas of their own, which no other test has filled (still under the
    # run's prefix, so removed with the run's schemas).
    prefix = f"{settings.schema_prefix}migrate_"
    env = {**platform_env, "PMC_SCHEMA_PREFIX": prefix}
    settings = Settings.from_env(env)
    assert not any(_tables(settings).values())

    first = _migrate(env)
    assert first.returncode == 0, first.stderr
    tables = _tables(settings)
    assert f"keys: ready in schema {settings.schema('keystore')}" in first.stdout
    for name in registry.APPLICATIONS:
        schema = settings.schema(name)
        assert f"{name}: tables ready in schema {schema}" in first.stdout
        expected = set()
        for model_name, model in registry.read_models(name).items():
            expected |= {f"{model_name}_tracking", *model.view_cls.tables}
        assert expected <= tables[schema], (name, expected - tables[schema])
        # Keys live in the key store's schema, never beside the data.
        assert "personal_keys" not in tables[schema]
        # The event store itself (eventsourcing names it after the schema).
        assert any(t.endswith("_events") for t in tables[schema]), tables[schema]

    again = _migrate(env)
    assert again.returncode == 0, again.stderr
    assert _tables(settings) == tables
