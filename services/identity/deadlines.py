"""The sweep that ends digital-identity requests left past their deadline
(ID-7): 15 days at the post office, 48 working hours online, the carrier's
day. Without it, a request ended only when someone next looked at it, and
the user was told only then, if ever.

Each request is ended in a transaction of its own, so a sweep stopped midway
leaves the rest to the next one. Two replicas sweeping at once both try; the
aggregate's version check lets one Refused be stored, and the other's attempt
is dropped without a word: the user is told once (the relay publishes the
stored event, and the notifier sends it)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from services.identity.application import IdentityApplication
from services.identity.digital_identities import DigitalIdentities
from services.identity.digital_identity import DigitalIdentity
from services.identity.errors import AccountNotFound

log = logging.getLogger(__name__)

VIEW = "checks_under_way"
# Per sweep; what is left waits for the next one (the rows ended now leave
# the read model only once its projection has caught up).
SWEEP_BATCH = 200


def sweep_overdue(app: IdentityApplication) -> list[str]:
    """End every request the read model shows past its deadline; the ids of
    those this call ended."""
    identities = DigitalIdentities(app)
    ended: list[str] = []
    for row in app.views[VIEW].overdue(app.clock.now(), SWEEP_BATCH):
        identity_id: UUID = row["identity_id"]
        try:
            if _end(app, identities, identity_id):
                ended.append(str(identity_id))
        except Exception:  # one bad request must not keep the others waiting
            log.exception("digital identity %s: could not end it", identity_id)
    if ended:
        log.info("ended %d digital identity requests past their deadline", len(ended))
    return ended


def _end(
    app: IdentityApplication, identities: DigitalIdentities, identity_id: Any
) -> bool:
    try:
        identity = app.repository.get(identity_id)
    except AggregateNotFoundError:
        return False
    if not isinstance(identity, DigitalIdentity):
        return False
    try:
        # Reloaded now: a request checked, refused or ended since the read
        # model saw it is past nothing any more.
        return identities.end_overdue(identity)
    except AccountNotFound:
        return False  # erased with its account: nobody to tell
