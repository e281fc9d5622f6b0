"""The candidate's side of the registered e-letters (ID-7 online), read from
the simulator's folder and acknowledged with `pmc registered-letter`, as a
recipient clicks in their mailbox."""

from __future__ import annotations

import re
from pathlib import Path

from services.common.settings import Settings
from services.notifier.registered_letters import (
    RegisteredLetterSimulator,
    registered_letter_provider,
)
from tests.helpers import wait_for

PROCEDURE = "Vérification de votre identité en ligne"
ACTIVATION = "activation d'Identité Numérique"


def simulator(settings: Settings) -> RegisteredLetterSimulator:
    return registered_letter_provider(settings)


def letters_to(settings: Settings, email: str) -> list[str]:
    return simulator(settings).letters_to(email)


def what_the_recipient_sees(settings: Settings, email: str) -> str:
    """Every view of every letter to `email` in the folder."""
    folder = Path(settings.registered_letter_folder)
    views = [p.read_text(encoding="utf-8") for p in folder.glob("*.txt")]
    return "".join(v for v in views if f"\nTo: {email}\n" in v)


def accepted(pmc, settings: Settings, email: str, count: int) -> str:
    """The `count`-th letter to `email`, once it arrived: unreadable until
    acknowledged, then its content."""
    letter_id = wait_for(
        lambda: letters_to(settings, email)[count - 1 : count], timeout=30
    )[0]
    notice = pmc("registered-letter", "show", letter_id)
    assert notice.returncode == 0, notice.stderr
    assert "accusez-en réception" in notice.stdout
    assert "Objet" not in notice.stdout and "Passer mon code" not in notice.stdout
    opened = pmc("registered-letter", "accept", letter_id)
    assert opened.returncode == 0, opened.stderr
    again = pmc("registered-letter", "accept", letter_id)
    assert again.returncode == 2 and "déjà acceptée" in again.stderr
    return opened.stdout


def procedure_digits(pmc, settings: Settings, email: str) -> str:
    """The 3 digits the first letter says to pronounce in the video: in none
    of the recipient's files before the letter is accepted."""
    letter_id = wait_for(lambda: letters_to(settings, email), timeout=30)[0]
    before = what_the_recipient_sees(settings, email)
    assert letter_id in before and "prononçant" not in before
    content = accepted(pmc, settings, email, 1)
    assert PROCEDURE in content
    found = re.search(r"ces trois chiffres : (\d) (\d) (\d)", content)
    assert found, content
    return "".join(found.groups())


def activation_code(pmc, settings: Settings, email: str, by_sms: str) -> str:
    """The activation code from the second letter: not readable before it is
    accepted, then the one the SMS gave."""
    wait_for(lambda: letters_to(settings, email)[1:], timeout=30)
    assert by_sms not in what_the_recipient_sees(settings, email)
    content = accepted(pmc, settings, email, 2)
    assert ACTIVATION in content
    return re.search(r"avant le .* : (\d{6})", content).group(1)
