"""A local SMTP server for development: keeps every e-mail as a .eml file.

Like a mailbox, it keeps one copy of a message however often it is delivered:
a second delivery with a Message-ID it already holds (the notifier's one
possible repeat after a crash between sending and recording) is not written
again but noted, one line each, in `duplicates.log`, so tests can count them.
"""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

DUPLICATES = "duplicates.log"
# Mail to this domain is accepted only after SLOW_DELAY seconds, as from a busy
# real server: a test's backlog then lasts whatever the machine's speed
# (tests/e2e/test_mail_lanes.py), where a fast catcher could drain it first.
SLOW_DOMAIN = "@lent.example.fr"
SLOW_DELAY = 0.02


class FolderHandler:
    """aiosmtpd handler writing each message to `<folder>/<n>.eml`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        # What an earlier run of the catcher kept counts too.
        self.seen: set[str] = set()
        for path in folder.glob("*.eml"):
            message_id = _message_id(path.read_bytes())
            if message_id:
                self.seen.add(message_id)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(to.lower().endswith(SLOW_DOMAIN) for to in envelope.rcpt_tos):
            await asyncio.sleep(SLOW_DELAY)
        content = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        message_id = str(parsed["Message-ID"] or "").strip()
        if message_id and message_id in self.seen:
            with (self.folder / DUPLICATES).open("a", encoding="utf-8") as log:
                log.write(f"{message_id}\t{parsed['To']}\t{parsed['Subject']}\n")
            print(f"mail {message_id} delivered again, kept once", flush=True)
            return "250 Message accepted for delivery"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{time.monotonic_ns()}.eml"
        temporary = path.with_suffix(".part")
        temporary.write_bytes(content)
        temporary.replace(path)  # readers never see half an e-mail
        if message_id:
            self.seen.add(message_id)
        # Its file name only: recipients and subjects (which name a NEPH) stay
        # in the mail folder, out of the logs.
        print(f"mail kept: {path.name}", flush=True)
        return "250 Message accepted for delivery"


def _message_id(content: bytes) -> str:
    parsed = message_from_bytes(content, policy=policy.default)
    return str(parsed["Message-ID"] or "").strip()


def duplicates(folder: Path) -> list[str]:
    """The Message-IDs delivered again after their first delivery."""
    path = folder / DUPLICATES
    if not path.exists():
        return []
    return [line.split("\t", 1)[0] for line in path.read_text().splitlines() if line]


def serve_forever(host: str, port: int, folder: str) -> None:
    controller = Controller(FolderHandler(Path(folder)), hostname=host, port=port)
    controller.start()
    print(f"mailcatcher on {host}:{port}, e-mails in {folder}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
