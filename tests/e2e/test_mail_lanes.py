"""One school's bulk mail never delays another's account mail (issue: lanes).

A school importing a 1,000-line CSV queues 1,000 notices; a school signing up
right after gets its activation link while those are still being sent."""

from __future__ import annotations

import secrets

import psycopg
import requests
from psycopg import sql

from tests.e2e.conftest import sign_up_payload
from tests.helpers import mails, wait_for

LINES = 1000
BULK_TOPIC = "services.notifier.domain:Message.Queued"


def _queued_after(settings, position: int) -> tuple[int, int]:
    """How many bulk messages the notifier queued after `position`, and the
    position of the last event of its log."""
    events = sql.Identifier(settings.schema("notifier"), "notifier_events")
    query = sql.SQL(
        "SELECT count(*) FILTER (WHERE notification_id > %s AND topic = %s),"
        " coalesce(max(notification_id), 0) FROM {}"
    ).format(events)
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        row = conn.execute(query, (position, BULK_TOPIC)).fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_school_signing_up_during_another_schools_import_gets_its_link_first(
    gateway, mail_folder, new_school, settings
):
    importer = new_school()
    _, start = _queued_after(settings, 0)
    tag = secrets.token_hex(3)
    lines = ["neph;civilite;nom_naissance;nom_usage;prenoms;date_naissance;email"]
    for i in range(LINES):
        # A slow mailbox provider's domain (pmc/mailcatcher.py): the backlog
        # takes at least LINES × 20 ms to send, however fast the machine.
        email = f"rafale-{tag}-{i}@lent.example.fr"
        lines.append(f"19{i:010d};M;Nom{i};;Prénom;01/02/2004;{email}")
    answer = requests.post(
        f"{gateway}/api/candidats/import",
        json={"csv": "\n".join(lines)},
        headers=importer["headers"],
        timeout=600,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == LINES

    def import_mails() -> list[str]:
        return [m["To"] for m in mails(mail_folder) if f"-{tag}-" in m["To"]]

    # Every notice of the import is queued: one sender for all would now send
    # the whole backlog before anything queued after it.
    wait_for(lambda: _queued_after(settings, start)[0] >= LINES, timeout=120)
    backlog = LINES - len(import_mails())
    assert backlog > 0, "the import's mails were all sent before the sign-up"

    newcomer = f"nouvelle-{tag}@example.fr"
    created = requests.post(f"{gateway}/api/comptes", json=sign_up_payload(newcomer))
    assert created.status_code == 201, created.text

    def arrival() -> list[str] | None:
        order = [m["To"] for m in mails(mail_folder)]  # file names: arrival order
        return order if newcomer in order else None

    order = wait_for(arrival, timeout=90)
    sent_before = [to for to in order if f"-{tag}-" in to]
    print(
        f"backlog at sign-up: {backlog}; import mails before the link: "
        f"{len(sent_before)} of {LINES}"
    )
    # The activation link did not wait for the import's backlog.
    assert len(sent_before) < LINES
    # And the import's mails all go out, each once.
    wait_for(lambda: len(import_mails()) >= LINES, timeout=300)
    assert sorted(import_mails()) == sorted(
        f"rafale-{tag}-{i}@lent.example.fr" for i in range(LINES)
    )
