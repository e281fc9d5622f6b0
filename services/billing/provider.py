"""The card payment provider: an interface, and a local simulator that behaves
like a real provider's test mode, so a real adapter plugs in later (BI-1).

Like real providers, operations take an idempotency key: the same key gives
the same answer and never a second charge (BI-2).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider did not answer usefully; nothing is known to be charged."""


@dataclass(frozen=True)
class Authorisation:
    id: str
    approved: bool
    decline_reason: str = ""


@dataclass(frozen=True)
class Capture:
    id: str
    amount_cents: int


class CardProvider(Protocol):
    def authorise(
        self, amount_cents: int, card_number: str, idempotency_key: str
    ) -> Authorisation: ...

    def capture(self, authorisation_id: str, idempotency_key: str) -> Capture: ...

    def refund(
        self, capture_id: str, amount_cents: int, idempotency_key: str
    ) -> str: ...


# The simulator's test cards, as providers publish theirs.
APPROVED = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROVIDER_FAILURE = "4000000000000119"


class SimulatedCardProvider:
    """A provider's test mode, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, object] = {}
        self._authorised: dict[str, int] = {}
        self.captured_cents = 0
        self.captures = 0

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._answers:
                self._answers[key] = make()
            return self._answers[key]

    def authorise(
        self, amount_cents: int, card_number: str, idempotency_key: str
    ) -> Authorisation:
        number = card_number.replace(" ", "")
        if number == PROVIDER_FAILURE:
            raise ProviderError("le prestataire de paiement ne répond pas")

        def decide() -> Authorisation:
            reference = f"auth_{secrets.token_hex(6)}"
            if number == DECLINED:
                return Authorisation(reference, False, "carte refusée")
            if number == INSUFFICIENT_FUNDS:
                return Authorisation(reference, False, "provision insuffisante")
            if not number.isdigit() or len(number) < 12:
                return Authorisation(reference, False, "numéro de carte invalide")
            self._authorised[reference] = amount_cents
            return Authorisation(reference, True)

        return self._once(f"authorise:{idempotency_key}", decide)

    def capture(self, authorisation_id: str, idempotency_key: str) -> Capture:
        def take() -> Capture:
            amount = self._authorised.pop(authorisation_id, None)
            if amount is None:
                raise ProviderError(f"autorisation inconnue : {authorisation_id}")
            self.captured_cents += amount
            self.captures += 1
            return Capture(f"cap_{secrets.token_hex(6)}", amount)

        return self._once(f"capture:{idempotency_key}", take)

    def refund(self, capture_id: str, amount_cents: int, idempotency_key: str) -> str:
        def give_back() -> str:
            self.captured_cents -= amount_cents
            return f"ref_{secrets.token_hex(6)}"

        return self._once(f"refund:{idempotency_key}", give_back)
