"""SMS (NO-1): sent through a provider; in development and tests, a catcher.

The catcher is to SMS what `pmc mailcatcher` is to e-mail: each message is
kept as a text file in a folder (`PMC_SMS_FOLDER`, `var/sms` by default). The
file is named after the message's id, so that a repeat of one message (the
one in flight when the sender crashed) is the same file, as a mailbox folds
e-mails that share a Message-ID. A real operator's gateway is another
`SmsProvider`; the sender does not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from uuid import UUID

from services.common.settings import Settings
from services.common.validation import is_french_mobile

# What the handset shows as the sender (alphanumeric, 11 characters at most).
SENDER = "PasserCode"


class SmsRefused(ValueError):
    """The number cannot receive an SMS: trying again would not change it."""


class SmsProvider(Protocol):
    def send(self, message_id: UUID, to: str, text: str) -> None:
        """Hand over one SMS to `to` (E.164); raise OSError to try later."""


class SmsCatcher:
    """Keeps each SMS as a file in `folder` instead of sending it."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def send(self, message_id: UUID, to: str, text: str) -> None:
        if not is_french_mobile(to):
            # Not the number itself: the reason is stored unsealed with the message.
            raise SmsRefused("numéro refusé : pas un mobile français")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{message_id}.txt"
        temporary = path.with_suffix(".part")
        temporary.write_text(
            f"From: {SENDER}\nTo: {to}\nMessage-Id: {message_id}\n\n{text}\n",
            encoding="utf-8",
        )
        temporary.replace(path)  # a reader never sees half a message


def sms_provider(settings: Settings) -> SmsProvider:
    """The provider the settings name (only the catcher so far)."""
    return SmsCatcher(settings.sms_folder)
