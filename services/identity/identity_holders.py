"""What a digital identity's document and phone number point to (ID-7): one
document, one person's identity; one number, one identity to sign in. Found
by keyed digests, never by the number itself."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class DocumentHolder(Aggregate):
    """Which identity an identity document serves: one document, one person's
    identity (found by the document's keyed digest, at the counter too)."""

    @staticmethod
    def create_id(document_digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-identity-document:{document_digest}")

    class Recorded(Aggregate.Created):
        document_digest: str
        identity_id: UUID

    @event(Recorded)
    def __init__(self, document_digest: str, identity_id: UUID) -> None:
        self.identity_id = identity_id

    class Reassigned(Aggregate.Event):
        identity_id: UUID

    @event(Reassigned)
    def reassign(self, identity_id: UUID) -> None:
        """Its identity's account was erased: the document serves another."""
        self.identity_id = identity_id


class PhoneHolder(Aggregate):
    """Which identity a phone number signs in (strong sign-in), found by the
    number's keyed digest."""

    @staticmethod
    def create_id(digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-identity-phone:{digest}")

    class Recorded(Aggregate.Created):
        digest: str
        identity_id: UUID

    @event(Recorded)
    def __init__(self, digest: str, identity_id: UUID) -> None:
        self.identity_id = identity_id

    class Reassigned(Aggregate.Event):
        identity_id: UUID

    @event(Reassigned)
    def reassign(self, identity_id: UUID) -> None:
        """Its identity's account was erased: the number serves another."""
        self.identity_id = identity_id
