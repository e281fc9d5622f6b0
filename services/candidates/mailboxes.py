"""Each school's own mailbox, as identity published it: a candidate confirms
their file from an address the school does not control, as far as can be
checked, so a file giving the school's own address is refused (issue 12).

The address is heard from identity's `AccountActivationRequested`, never from
the caller, and kept only as a keyed hash under the school's key of the key
store (as services/common/search_hashes.py keeps names): this service's store
never holds a school's address in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from services.common import inputs
from services.common.keystore import KeyStore
from services.common.search_hashes import SchoolSearchKeys

SCHOOLS_OWN_ADDRESS = (
    "Cette adresse e-mail est celle de votre auto-école : le candidat doit "
    "confirmer son dossier depuis sa propre adresse e-mail."
)
# The key store's owner of the schools' keys these hashes are made with.
KEY_OWNER = "candidates-mailboxes"


def mailbox(email: str) -> str:
    """One form for the addresses that reach one mailbox: lower case, its
    international domain in ASCII, without a « +tag » in the local part."""
    local, _, domain = inputs.lookup_address(email).rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class SchoolMailbox(Aggregate):
    """The keyed hash of a school's own address."""

    @staticmethod
    def create_id(school_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-school-mailbox:{school_id}")

    class Heard(Aggregate.Created):
        school_id: str
        digest: str

    @event(Heard)
    def __init__(self, id: UUID, school_id: str, digest: str) -> None:
        self.school_id = school_id
        self.digest = digest

    class Changed(Aggregate.Event):
        digest: str

    def change(self, digest: str) -> None:
        if digest != self.digest:
            self._changed(digest=digest)

    @event(Changed)
    def _changed(self, digest: str) -> None:
        self.digest = digest


class SchoolMailboxes:
    """What candidates knows of the schools' own addresses."""

    def __init__(self, app: Any, keystore: KeyStore) -> None:
        self.app = app
        self.keys = SchoolSearchKeys(keystore, KEY_OWNER)

    def _digest(self, school_id: str, email: str) -> str:
        key = self.keys.of(school_id)
        return hmac.new(key, mailbox(email).encode(), hashlib.sha256).hexdigest()

    def heard(self, school_id: str, email: str | None, tracking: Any) -> None:
        """Identity published a school's address (None: erased since)."""
        if email is None:
            self.app.record_processed(tracking)
            return
        digest = self._digest(school_id, email)
        try:
            known = self.app.repository.get(SchoolMailbox.create_id(school_id))
            known.change(digest)
        except AggregateNotFoundError:
            known = SchoolMailbox(
                id=SchoolMailbox.create_id(school_id),
                school_id=school_id,
                digest=digest,
            )
        self.app.save(known, tracking=tracking)

    def is_schools(self, school_id: str, email: str | None, given: str = "") -> bool:
        """Whether `email` reaches the school's own mailbox: the one identity
        published, or the one the caller says the school has."""
        if not email:
            return False
        if given and mailbox(given) == mailbox(email):
            return True
        try:
            known = self.app.repository.get(SchoolMailbox.create_id(school_id))
        except AggregateNotFoundError:
            return False  # not heard of yet: nothing to compare with
        return hmac.compare_digest(known.digest, self._digest(school_id, email))
