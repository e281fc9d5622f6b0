"""Checkouts left « en cours » are settled with the provider (BI-2, TR-3).

A provider failure, or a process stopped between the provider's answer and
its recording, leaves a card checkout « en cours ». After
PMC_PAYMENT_RECONCILE_SECONDS without an attempt (injected clock), the
provider is asked what it did under the checkout's authorisation key: a
capture is recorded as any success (invoice, PaymentCaptured); an
authorisation never captured is voided; then the checkout is « abandonné »
and its lines are free to be paid again, under a new key.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from services.billing.domain import (
    ABANDONED,
    CAPTURED,
    CARD,
    DECLINED,
    Checkout,
    CheckoutError,
)
from services.billing.provider import (
    PAYMENT_AUTHORISED,
    PAYMENT_CAPTURED,
    PAYMENT_DECLINED,
    ProviderError,
)
from services.common.metrics import PAYMENTS

if TYPE_CHECKING:
    from services.billing.provider import CardProvider

NEVER_CHARGED = "le prestataire n'a enregistré aucun débit"

log = logging.getLogger(__name__)


class Reconciliation:
    """The reconciler's part of the billing application."""

    provider: CardProvider
    settings: Any
    clock: Any
    views: dict[str, Any]
    repository: Any

    if TYPE_CHECKING:  # provided by BillingApplication; never shadow them

        def save(self, *objs: Any, **kwargs: Any) -> Any: ...
        def _record_capture(self, checkout_id: Any, capture_id: str) -> Checkout: ...
        def _decline(self, checkout: Checkout, reason: str) -> Checkout: ...
        def _free_lines(self, checkout: Checkout) -> list[Any]: ...
        def _forget_lines(self, checkout: Checkout) -> None: ...

    def _give_back(self, checkout: Checkout, capture_id: str) -> None:
        """A capture that came after its checkout was abandoned (a provider
        call slower than the reconciliation delay): refunded, never kept."""
        log.error("late capture %s of abandoned checkout %s", capture_id, checkout.id)
        self.provider.refund(capture_id, checkout.amount_cents, f"{checkout.id}:late")

    # -- reconciliation of checkouts left pending (BI-2, TR-3) ----------------------

    def reconcile(self) -> dict[str, list[str]]:
        """Settle every checkout pending for longer than the reconciliation
        delay: finished if the provider captured it, abandoned otherwise."""
        now = self.clock.now()
        delay = self.settings.payment_reconcile_seconds
        settled: dict[str, list[str]] = {CAPTURED: [], ABANDONED: [], DECLINED: []}
        for checkout_id in self.views["payment_list"].pending():
            try:
                checkout = self.repository.get(checkout_id)
                if checkout.reconcile_due(now, delay):
                    outcome = self._settle(checkout, now)
                    settled.setdefault(outcome.status, []).append(str(checkout.id))
            except (IntegrityError, ProviderError, CheckoutError) as error:
                # Retried, reconciled elsewhere, or the provider is still away:
                # the next sweep looks again.
                log.warning("checkout %s not reconciled yet: %s", checkout_id, error)
        return settled

    def _settle(self, checkout: Checkout, now: datetime) -> Checkout:
        if checkout.method != CARD:
            # A SEPA debit goes to the bank only once recorded: nothing taken.
            return self._abandon(checkout, now, "prélèvement non enregistré")
        key = f"{checkout.id}:authorise"
        found = self.provider.lookup(key)
        if found is not None and found.status == PAYMENT_AUTHORISED:
            # Authorised, never captured: cancelled, unless captured meanwhile.
            if self.provider.void(found.authorisation_id):
                return self._abandon(checkout, now, NEVER_CHARGED)
            found = self.provider.lookup(key)
        if found is None:
            return self._abandon(checkout, now, NEVER_CHARGED)
        if found.status == PAYMENT_CAPTURED and found.capture_id:
            return self._record_capture(checkout.id, found.capture_id)
        if found.status == PAYMENT_DECLINED:
            return self._decline(checkout, found.decline_reason)
        return self._abandon(checkout, now, NEVER_CHARGED)  # voided

    def _abandon(self, checkout: Checkout, now: datetime, reason: str) -> Checkout:
        checkout.abandon(reason, now)
        self.save(checkout, *self._free_lines(checkout))
        self._forget_lines(checkout)
        PAYMENTS.labels(checkout.method, "abandoned").inc()
        log.info("checkout %s abandoned: %s", checkout.id, reason)
        return checkout
