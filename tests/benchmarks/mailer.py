"""Mail sender benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.mailer [--messages 1000] [--connections 4]

1. Bulk lane: `--messages` notices queued (sealed, as the notifier queues a
   1,000-line import's), drained by one `Mailer` into `pmc mailcatcher` run
   as its own process (messages/s).
2. Account lane during that backlog: the same backlog queued again, the bulk
   sender started, then one account e-mail queued behind the whole backlog;
   how long until the account sender had it sent, and how much of the
   backlog was sent by then.
3. The SMTP share: the same e-mails, built beforehand, handed to the mail
   server over one connection, then over `--connections` connections at
   once (messages/s): what concurrent sending could gain at most, against
   what reading, unsealing and recording each message costs (1).
"""

from __future__ import annotations

import argparse
import os
import secrets
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from uuid import uuid4

from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.envelope import Delivered, Envelope
from services.common.settings import Settings
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL, Message
from services.notifier.mailer import AccountMailer, Mailer
from tests.benchmarks.platform import free_port
from tests.containers import port_open
from tests.helpers import wait_for

CATCHER = (sys.executable, "-m", "pmc.cli", "mailcatcher")
BODY = "Bonjour,\n\nVotre auto-école a créé votre dossier.\n" * 8


def queue(app: NotifierApplication, count: int, audience: str) -> list[Message]:
    messages = []
    for i in range(count):
        envelope = Envelope("bench", "Bench", 1, secrets.randbelow(10**15), "")
        messages.append(
            app.compose(
                Delivered(envelope, {}, 1),
                EMAIL,
                audience,
                uuid4(),
                f"bench-{i}@example.fr",
                "Confirmez votre dossier",
                BODY,
            )
        )
    for start in range(0, count, 100):
        app.save(*messages[start : start + 100])
    return messages


def bulk_rate(app: NotifierApplication, count: int) -> float:
    queue(app, count, "candidat")
    mailer = Mailer(app)
    mailer.try_lead()
    started = time.perf_counter()
    sent = mailer.run_until_caught_up()
    elapsed = time.perf_counter() - started
    mailer.release()
    return sent / elapsed


def account_wait(app: NotifierApplication, count: int) -> tuple[float, int]:
    """Seconds the account e-mail took, and bulk messages sent meanwhile."""
    backlog = queue(app, count, "candidat")
    stop = threading.Event()
    senders = [Mailer(app), AccountMailer(app)]
    threads = [threading.Thread(target=s.run, args=(stop,)) for s in senders]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)  # the bulk sender is under way
        started = time.perf_counter()
        (account,) = queue(app, 1, "compte")
        wait_for(lambda: app.get_message(account.id).sent_at, timeout=60)
        elapsed = time.perf_counter() - started
        sent = sum(1 for m in backlog if app.get_message(m.id).sent_at)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return elapsed, sent


def smtp_rate(emails: list[EmailMessage], port: int, connections: int) -> float:
    shares = [emails[i::connections] for i in range(connections)]

    def send(share: list[EmailMessage]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for email in share:
                smtp.send_message(email)

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(send, shares))
    return len(emails) / (time.perf_counter() - started)


def prebuilt(app: NotifierApplication, count: int) -> list[EmailMessage]:
    mailer = Mailer(app)
    emails = []
    for message in queue(app, count, "candidat"):
        email = mailer._email(message, app.content(message) or {})
        email.replace_header("Message-ID", f"<{uuid4()}@bench>")  # none folded
        emails.append(email)
    return emails


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    port = free_port()
    os.environ.update(
        POSTGRES_DBNAME="pmc_bench",
        PMC_SCHEMA_PREFIX=f"bench{secrets.token_hex(3)}_",
        SMTP_PORT=str(port),
    )
    settings = Settings.from_env()
    ensure_database(settings)
    folder = tempfile.mkdtemp(prefix="pmc-bench-mail-")
    catcher = subprocess.Popen(
        [*CATCHER, "--port", str(port), "--folder", folder],
        stdout=subprocess.DEVNULL,
    )
    app = NotifierApplication(settings=settings)
    try:
        wait_for(lambda: port_open("127.0.0.1", port), timeout=20)
        Mailer(app).parking.create_table()
        rate = bulk_rate(app, args.messages)
        print(f"bulk lane, one sender      : {rate:7.0f} messages/s")
        waited, sent = account_wait(app, args.messages)
        print(
            f"account e-mail behind {args.messages} : sent in {waited:.2f} s,"
            f" {sent} of the backlog sent meanwhile"
        )
        emails = prebuilt(app, args.messages)
        for connections in (1, args.connections):
            rate = smtp_rate(emails, port, connections)
            print(f"SMTP alone, {connections} connection(s): {rate:7.0f} messages/s")
    finally:
        app.close()
        catcher.terminate()
        catcher.wait()
        drop_schemas_with_prefix(settings, settings.schema_prefix)


if __name__ == "__main__":
    main()
