"""Registered electronic letters (« lettre recommandée électronique », as
AR24's in seeds 001 and 003): sent through a provider; in development and
tests, a simulator that behaves like such a provider's test mode.

A provider takes a letter for an e-mail address and answers with its own
letter id. The recipient is first shown only a notice (a letter waits for
them); they see its sender and content once they acknowledge receipt, or
they refuse it; unclaimed for 15 days it expires. Every send carries an
idempotency key (the message's id): a repeat of one message, the one in
flight when the sender crashed, is the same letter, never a second one.

The simulator keeps each letter in `PMC_REGISTERED_LETTER_FOLDER`
(`var/lettres-recommandees` by default): `<letter id>.txt` is what the
recipient sees (the notice, replaced by the letter on acknowledgement), and
the provider's own record (the content among it) stays in `.envois/`, out
of the recipient's view, as it stays on the provider's servers.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

from services.common.clock import Clock, clock_from_settings
from services.common.documents import when
from services.common.settings import Settings

SENT = "envoyee"
ACKNOWLEDGED = "acceptee"
REFUSED = "refusee"
EXPIRED = "expiree"
# How long a letter waits for its recipient, as the real service's.
CLAIM_PERIOD = timedelta(days=15)
PROVIDER = "Lettre recommandée électronique (simulateur)"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LETTER_ID = re.compile(r"^[0-9a-f-]{36}$")


class RegisteredLetterRefused(ValueError):
    """The provider will not take this letter: trying again would not help."""


class LetterStateError(ValueError):
    """No such letter, or a step its state does not allow; says why."""


@dataclass(frozen=True)
class LetterStatus:
    """Where a letter stands, as the provider reports it."""

    letter_id: str
    status: str
    sent_at: datetime
    decided_at: datetime | None


class RegisteredLetterProvider(Protocol):
    def send(self, key: UUID, to: str, subject: str, body: str) -> str:
        """Send one letter to `to`; its id. The same `key` gives the same
        letter. Raise OSError to try later."""

    def status(self, letter_id: str) -> LetterStatus:
        """The letter's state: sent, acknowledged, refused or expired."""


class RegisteredLetterSimulator:
    """A provider's test mode: each letter a file in `folder`."""

    def __init__(self, folder: str, clock: Clock, sender: str) -> None:
        self.folder = Path(folder)
        self.records = self.folder / ".envois"
        self.keys = self.records / "cles"
        self.clock = clock
        self.sender = sender

    # -- the sender's side ---------------------------------------------------------

    def send(self, key: UUID, to: str, subject: str, body: str) -> str:
        if not isinstance(to, str) or not _ADDRESS.fullmatch(to) or len(to) > 254:
            # Not the address itself: the reason is stored unsealed with the message.
            raise RegisteredLetterRefused("adresse e-mail refusée par le prestataire")
        if "\x00" in subject + body:
            raise RegisteredLetterRefused("caractère nul dans la lettre")
        self.keys.mkdir(parents=True, exist_ok=True)
        letter_id = self._letter_of(key) or self._claim(key, str(uuid4()))
        if not (self.records / f"{letter_id}.json").exists():
            # Claimed here, or by a sender stopped before it wrote the letter:
            # the claim's letter is written, never a second one.
            self._write(
                {
                    "letter_id": letter_id,
                    "key": str(key),
                    "to": to,
                    "subject": subject,
                    "body": body,
                    "sent_at": self.clock.now().isoformat(),
                    "status": SENT,
                    "decided_at": None,
                }
            )
        return letter_id

    def _claim(self, key: UUID, letter_id: str) -> str:
        """The letter id for `key`: this one, or the one another sender
        claimed first. The claim appears whole (a hard link), never empty."""
        claim = self.keys / str(key)
        temporary = self.keys / f".{key}.{letter_id}"
        temporary.write_text(letter_id, encoding="utf-8")
        try:
            os.link(temporary, claim)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
        return claim.read_text(encoding="utf-8").strip()

    def status(self, letter_id: str) -> LetterStatus:
        record = self._record(letter_id)
        return LetterStatus(
            letter_id=letter_id,
            status=self._state(record),
            sent_at=datetime.fromisoformat(record["sent_at"]),
            decided_at=(
                datetime.fromisoformat(record["decided_at"])
                if record["decided_at"]
                else None
            ),
        )

    # -- the recipient's side (tests and development) ------------------------------

    def acknowledge(self, letter_id: str) -> str:
        """The recipient accepts the letter; what they now read."""
        return self._decide(letter_id, ACKNOWLEDGED)

    def refuse(self, letter_id: str) -> str:
        """« Je ne suis pas cette personne »: the letter is never opened."""
        return self._decide(letter_id, REFUSED)

    def read(self, letter_id: str) -> str:
        """What the recipient sees: the notice, or the letter once accepted."""
        self._record(letter_id)  # a clear error for an unknown letter
        return (self.folder / f"{letter_id}.txt").read_text(encoding="utf-8")

    def letters_to(self, to: str) -> list[str]:
        """The ids of the letters sent to `to`, oldest first."""
        if not self.records.exists():
            return []
        found = [
            json.loads(path.read_text(encoding="utf-8"))
            for path in self.records.glob("*.json")
        ]
        mine = [r for r in found if r["to"] == to]
        return [r["letter_id"] for r in sorted(mine, key=lambda r: r["sent_at"])]

    # -- helpers -------------------------------------------------------------------

    def _decide(self, letter_id: str, outcome: str) -> str:
        record = self._record(letter_id)
        state = self._state(record)
        if state == EXPIRED:
            raise LetterStateError(
                "Cette lettre n'a pas été acceptée dans les 15 jours : elle a expiré."
            )
        if state != SENT:
            raise LetterStateError(f"Cette lettre est déjà {_WORDS[state]}.")
        record.update(status=outcome, decided_at=self.clock.now().isoformat())
        self._write(record)
        return self.read(letter_id)

    def _state(self, record: dict[str, Any]) -> str:
        sent_at = datetime.fromisoformat(record["sent_at"])
        if record["status"] == SENT and self.clock.now() > sent_at + CLAIM_PERIOD:
            return EXPIRED
        return record["status"]

    def _letter_of(self, key: UUID) -> str | None:
        claim = self.keys / str(key)
        if not claim.exists():
            return None
        letter_id = claim.read_text(encoding="utf-8").strip()
        return letter_id or None

    def _record(self, letter_id: str) -> dict[str, Any]:
        if not isinstance(letter_id, str) or not _LETTER_ID.fullmatch(letter_id):
            raise LetterStateError(f"Lettre inconnue : {letter_id!r}")
        path = self.records / f"{letter_id}.json"
        if not path.exists():
            raise LetterStateError(f"Lettre inconnue : {letter_id}")
        return json.loads(path.read_text(encoding="utf-8"))

    def _write(self, record: dict[str, Any]) -> None:
        self.records.mkdir(parents=True, exist_ok=True)
        letter_id = record["letter_id"]
        _replace(self.records / f"{letter_id}.json", json.dumps(record))
        _replace(self.folder / f"{letter_id}.txt", self._view(record))

    def _remove(self, letter_id: str) -> None:
        for path in (
            self.records / f"{letter_id}.json",
            self.folder / f"{letter_id}.txt",
        ):
            path.unlink(missing_ok=True)

    def _view(self, record: dict[str, Any]) -> str:
        """The recipient's mailbox: never the sender or content before
        acknowledgement."""
        head = (
            f"From: {PROVIDER}\nTo: {record['to']}\n"
            f"Lettre-Id: {record['letter_id']}\nStatut: {record['status']}\n\n"
        )
        if record["status"] == ACKNOWLEDGED:
            return (
                f"{head}Expéditeur : {self.sender}\nObjet : {record['subject']}\n"
                f"Accusé de réception : {when(record['decided_at'])}\n\n"
                f"{record['body']}\n"
            )
        if record["status"] == REFUSED:
            return f"{head}Vous avez refusé cette lettre recommandée électronique.\n"
        until = when(
            (datetime.fromisoformat(record["sent_at"]) + CLAIM_PERIOD).isoformat()
        )
        return (
            f"{head}Vous avez reçu une lettre recommandée électronique "
            f"n°{record['letter_id']} destinée à {record['to']}.\n\n"
            "Pour connaître son expéditeur et son contenu, confirmez votre "
            f"identité et accusez-en réception avant le {until}. Passé ce "
            "délai, elle expire sans avoir été remise.\n"
        )


_WORDS = {ACKNOWLEDGED: "acceptée", REFUSED: "refusée", EXPIRED: "expirée"}


def _replace(path: Path, text: str) -> None:
    temporary = path.with_suffix(".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)  # a reader never sees half a letter


def registered_letter_provider(
    settings: Settings, clock: Clock | None = None
) -> RegisteredLetterSimulator:
    """The provider the settings name (only the simulator so far)."""
    return RegisteredLetterSimulator(
        settings.registered_letter_folder,
        clock or clock_from_settings(settings.clock_offset_file),
        settings.smtp_sender,
    )
