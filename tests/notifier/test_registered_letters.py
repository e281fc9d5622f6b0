"""The registered e-letter simulator: what the recipient sees in each state,
one letter per idempotency key, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.clock import FrozenClock
from services.notifier.registered_letters import (
    ACKNOWLEDGED,
    EXPIRED,
    REFUSED,
    SENT,
    LetterStateError,
    RegisteredLetterRefused,
    RegisteredLetterSimulator,
)

TO = "ines.benali@example.fr"
BODY = "Prononcez les chiffres 4 7 2 dans votre vidéo."


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def provider(tmp_path, clock) -> RegisteredLetterSimulator:
    return RegisteredLetterSimulator(str(tmp_path), clock, "Passer mon code")


def _everything_the_recipient_sees(folder) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.txt"))


def test_the_content_is_shown_only_once_acknowledged(provider, tmp_path):
    letter = provider.send(uuid4(), TO, "Votre vérification en ligne", BODY)
    assert provider.status(letter).status == SENT
    notice = provider.read(letter)
    assert "lettre recommandée électronique" in notice
    assert "4 7 2" not in _everything_the_recipient_sees(tmp_path)
    assert "Passer mon code" not in notice  # nor who sent it

    opened = provider.acknowledge(letter)
    assert "4 7 2" in opened and "Passer mon code" in opened
    assert "4 7 2" in _everything_the_recipient_sees(tmp_path)
    assert provider.status(letter).status == ACKNOWLEDGED
    assert provider.status(letter).decided_at is not None
    with pytest.raises(LetterStateError, match="déjà acceptée"):
        provider.refuse(letter)


def test_a_refused_letter_is_never_opened(provider, tmp_path):
    letter = provider.send(uuid4(), TO, "Objet", BODY)
    provider.refuse(letter)
    assert provider.status(letter).status == REFUSED
    with pytest.raises(LetterStateError, match="déjà refusée"):
        provider.acknowledge(letter)
    assert "4 7 2" not in _everything_the_recipient_sees(tmp_path)


def test_unclaimed_for_15_days_a_letter_expires(provider, clock, tmp_path):
    letter = provider.send(uuid4(), TO, "Objet", BODY)
    clock.advance(timedelta(days=15))
    assert provider.status(letter).status == SENT  # the 15th day still counts
    clock.advance(timedelta(minutes=1))
    assert provider.status(letter).status == EXPIRED
    with pytest.raises(LetterStateError, match="15 jours"):
        provider.acknowledge(letter)
    assert "4 7 2" not in _everything_the_recipient_sees(tmp_path)


def test_one_key_is_one_letter(provider, clock, tmp_path):
    key = uuid4()
    first = provider.send(key, TO, "Objet", BODY)
    clock.advance(timedelta(seconds=1))
    assert provider.send(key, TO, "Objet", BODY) == first
    other = provider.send(uuid4(), TO, "Objet", "Autre")
    assert other != first
    assert provider.letters_to(TO) == [first, other]
    assert len(list(tmp_path.glob("*.txt"))) == 2


def test_a_sender_stopped_after_its_claim_leaves_one_letter(provider, tmp_path):
    """The notifier killed between claiming the key and writing the letter:
    sent again, the message gets the claimed letter, written once."""
    key = uuid4()
    provider.keys.mkdir(parents=True)
    claimed = provider._claim(key, str(uuid4()))
    assert provider.letters_to(TO) == []
    assert provider.send(key, TO, "Objet", BODY) == claimed
    assert provider.send(key, TO, "Objet", BODY) == claimed
    assert provider.letters_to(TO) == [claimed]
    assert len(list(tmp_path.glob("*.txt"))) == 1


@pytest.mark.parametrize(
    "address",
    ["pas une adresse", "", "a@b", "x" * 250 + "@example.fr", None, TO + "\n"],
)
def test_a_bad_address_is_refused_and_nothing_is_kept(provider, tmp_path, address):
    with pytest.raises(RegisteredLetterRefused) as refused:
        provider.send(uuid4(), address, "Objet", BODY)
    assert not [p for p in tmp_path.glob("**/*") if p.is_file()]
    # The reason is kept unsealed with the message: never the address.
    assert str(address) not in str(refused.value) or not address


@pytest.mark.parametrize("letter", ["../../etc/passwd", "inconnue", str(uuid4())])
def test_an_unknown_letter_is_a_clear_error(provider, letter):
    with pytest.raises(LetterStateError, match="Lettre inconnue"):
        provider.acknowledge(letter)
    with pytest.raises(LetterStateError, match="Lettre inconnue"):
        provider.read(letter)
