"""`pmc audit-refunds` on the real stack (OP-1): a school's cancellations and
their refunds agree; in a copy of the data where billing's history lost one
refund, the audit names exactly that reservation and exits non-zero."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from uuid import UUID

from psycopg import sql

from services.billing.domain import Refund
from services.common.db import connect
from tests.e2e.test_cancellation_api import (  # noqa: F401
    _cancel,
    _paid_session,
    billing,
    booking,
)
from tests.helpers import wait_for

SUMMARY_OK = "2 remboursement(s) dû(s), 2 remboursement(s) payé(s), 0 écart(s)"


def _refunded(app, reservation_id: str) -> bool:
    app.forget_id(Refund.create_id(reservation_id))
    try:
        app.repository.get(Refund.create_id(reservation_id))
    except Exception:
        return False
    return True


def _copy_logs(settings, apps, prefix: str) -> None:
    """Each app's event table, as it is now, in a schema of the copy."""
    with connect(settings) as conn:
        for name, app in apps.items():
            table = app.recorder.events_table_name
            conn.execute(
                sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(f"{prefix}{name}"))
            )
            conn.execute(
                sql.SQL("CREATE TABLE {} AS TABLE {}").format(
                    sql.Identifier(f"{prefix}{name}", table),
                    sql.Identifier(settings.schema(name), table),
                )
            )


def _audit(env: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmc.cli", "audit-refunds", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_audit_finds_the_one_refund_missing_from_a_copy_of_the_logs(
    gateway,
    new_school,
    scheduling,
    candidates,
    booking,  # noqa: F811
    billing,  # noqa: F811
    settings,
    platform_env,
    tmp_path,
):
    school = new_school()
    school_id = school["account"]["account_id"]
    paid = _paid_session(gateway, school, scheduling, candidates, first=63300)
    for line in paid["lines"]:
        assert _cancel(gateway, school, line).status_code == 200
    wait_for(lambda: all(_refunded(billing, line) for line in paid["lines"]), 60)

    intact = _audit(platform_env, "--school", school_id)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert SUMMARY_OK in intact.stdout

    # A copy of booking's and billing's logs, one refund taken out of it.
    prefix = f"{settings.schema_prefix}audit_"
    _copy_logs(settings, {"booking": booking, "billing": billing}, prefix)
    lost, kept = paid["lines"]
    with connect(settings) as conn:
        deleted = conn.execute(
            sql.SQL("DELETE FROM {} WHERE originator_id = %s").format(
                sql.Identifier(f"{prefix}billing", billing.recorder.events_table_name)
            ),
            (Refund.create_id(lost),),
        )
        assert deleted.rowcount == 1
    copy_env = {**platform_env, "PMC_SCHEMA_PREFIX": prefix}
    report = tmp_path / "ecarts.csv"
    broken = _audit(copy_env, "--school", school_id, "--csv", str(report))
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "2 remboursement(s) dû(s), 1 remboursement(s) payé(s), 1 écart(s)" in (
        broken.stdout
    )
    (line,) = [row for row in broken.stdout.splitlines() if lost in row]
    assert "manquant" in line and "auto-école" in line
    assert kept not in broken.stdout
    header, *rows = csv.reader(
        io.StringIO(report.read_bytes().decode("utf-8-sig"), newline=""),
        delimiter=";",
    )
    assert header[0] == "Réservation" and header[-1] == "Écart"
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        (lost, school_id, "manquant")
    ]
    assert UUID(rows[0][0])

    # The intact logs still agree; a school id an operator mistyped is refused.
    assert _audit(platform_env, "--school", school_id).returncode == 0
    refused = _audit(platform_env, "--school", "école\x07")
    assert refused.returncode == 2 and "--school" in refused.stderr
