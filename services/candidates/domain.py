"""The candidate file, as the school creates it and the candidate confirms it.

Personal data (names, birth date, e-mail, postal address, phone) never enters an
event in clear: the application seals it with the candidate's own key
(services/common/personal.py) and the events carry the sealed blob. When a file
expires the key is forgotten, and every copy of that data becomes unreadable,
while the history of what happened (created, expired) stays. The NEPH stays
in clear: it is what makes a file unique and what schools search by.

Every event that other services hear of carries what its integration event says
(school, NEPH, contact, sealed personal data, …): the relay builds the message
from the stored event alone, without loading the file again. Events stored
before these fields existed lack them: the relay must have published them before
such an upgrade.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

AWAITING_EMAIL = "en attente de la validation de l'adresse e-mail"
ACTIVATED = "activé"
REFUSED = "refusé par le candidat"
EXPIRED = "expiré"
ARCHIVED = "archivé"
ERASED = "effacé"

# A file that holds its NEPH: no other file may use it meanwhile (CA-2).
HOLDING_STATES = (AWAITING_EMAIL, ACTIVATED)

BY_EMAIL = "email"
BY_POST = "courrier"

ACTIVATION_DEADLINE = timedelta(days=7)
# Files that are done with (refused, archived) and kept until their retention
# period ends, then erased (README, « Données personnelles »).
ENDED_STATES = (REFUSED, ARCHIVED)
MINIMUM_AGE = 15


class CandidateFileError(ValueError):
    """What a candidate file refuses."""


class CandidateFileStateError(CandidateFileError):
    """The file is not in a state that allows this."""


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


class NephClaim(Aggregate):
    """Who holds a NEPH now: one active file at a time, whatever the school."""

    @staticmethod
    def create_id(neph: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-neph:{neph}")

    class Claimed(Aggregate.Created):
        neph: str
        candidate_id: UUID

    @event(Claimed)
    def __init__(self, neph: str, candidate_id: UUID) -> None:
        self.neph = neph
        self.candidate_id: UUID | None = candidate_id

    class Reclaimed(Aggregate.Event):
        candidate_id: UUID

    def claim(self, candidate_id: UUID) -> None:
        if self.candidate_id is not None:
            raise CandidateFileError("Ce NEPH est déjà utilisé par un dossier actif.")
        self._reclaimed(candidate_id=candidate_id)

    @event(Reclaimed)
    def _reclaimed(self, candidate_id: UUID) -> None:
        self.candidate_id = candidate_id

    class Released(Aggregate.Event):
        candidate_id: UUID

    def release(self, candidate_id: UUID) -> None:
        if self.candidate_id == candidate_id:
            self._released(candidate_id=candidate_id)

    @event(Released)
    def _released(self, candidate_id: UUID) -> None:
        self.candidate_id = None


class CandidateFile(Aggregate):
    """A candidate's file for the theory test, owned by one driving school."""

    @staticmethod
    def create_id(file_id: UUID) -> UUID:
        # Chosen by the application, which seals the personal data with the
        # file's own key before the file exists.
        return file_id

    class Created(Aggregate.Created):
        file_id: UUID
        school_id: str
        school_email: str
        neph: str
        personal: str
        contact: str
        activation_nonce: str
        expires_at: datetime
        # The school's name as the candidate's messages give it (absent before).
        school_name: str = ""

    @event(Created)
    def __init__(
        self,
        file_id: UUID,
        school_id: str,
        school_email: str,
        neph: str,
        personal: str,
        contact: str,
        activation_nonce: str,
        expires_at: datetime,
        school_name: str = "",
    ) -> None:
        self.school_id = school_id
        self.school_email = school_email
        self.school_name = school_name
        self.neph = neph
        self.personal: str | None = personal
        self.contact = contact
        self.activation_nonce: str | None = activation_nonce
        self.expires_at = expires_at
        self.status = AWAITING_EMAIL
        self.confirmed_at: datetime | None = None
        self.email_to_validate = False

    @classmethod
    def create(
        cls,
        file_id: UUID,
        school_id: str,
        school_email: str,
        neph: str,
        personal: str,
        contact: str,
        nonce: str,
        at: datetime,
        school_name: str = "",
    ) -> CandidateFile:
        return cls(
            file_id=file_id,
            school_id=school_id,
            school_email=school_email,
            school_name=school_name,
            neph=neph,
            personal=personal,
            contact=contact,
            activation_nonce=nonce,
            expires_at=at + ACTIVATION_DEADLINE,
        )

    @property
    def request_number(self) -> str:
        """The number on the candidate's receipt (CA-3)."""
        return f"D{self.created_on:%Y%m%d}-{self.id.hex[:8].upper()}"

    @property
    def holds_neph(self) -> bool:
        return self.status in HOLDING_STATES

    def _told(self) -> dict[str, str]:
        """What every published event of this file says of it."""
        return {"school_id": self.school_id, "neph": self.neph}

    def _school(self) -> dict[str, str]:
        """Who filed it, for the messages its events cause."""
        # Files created before the name was kept lack it.
        return {
            "school_name": getattr(self, "school_name", ""),
            "school_email": self.school_email,
        }

    def _require(self, *states: str) -> None:
        if self.status not in states:
            raise CandidateFileStateError(
                f"Ce dossier est « {self.status} » : cette action n'est plus possible."
            )

    # -- activation (CA-3) ------------------------------------------------------

    class ActivationLinkReissued(Aggregate.Event):
        nonce: str
        # For the relay (the new link is sent with the file's data).
        school_id: str
        neph: str
        contact: str
        personal: str | None
        expires_at: datetime
        school_name: str = ""

    def reissue_activation_link(self, nonce: str) -> None:
        if not (self.status == AWAITING_EMAIL or self.email_to_validate):
            raise CandidateFileStateError("Ce dossier n'attend pas de validation.")
        self.trigger_event(
            self.ActivationLinkReissued,
            nonce=nonce,
            contact=self.contact,
            personal=self.personal,
            expires_at=self.expires_at,
            school_name=self._school()["school_name"],
            **self._told(),
        )

    @event(ActivationLinkReissued)
    def _activation_link_reissued(self, nonce: str) -> None:
        self.activation_nonce = nonce

    def check_link(self, nonce: str | None, at: datetime) -> None:
        if self.activation_nonce is None or nonce != self.activation_nonce:
            raise CandidateFileError("Ce lien d'activation n'est pas valide.")
        if self.status == AWAITING_EMAIL and at > self.expires_at:
            raise CandidateFileError("Ce lien d'activation a expiré.")

    class Confirmed(Aggregate.Event):
        confirmed_at: datetime
        # For the relay: booking shows the name (still sealed here).
        school_id: str
        neph: str
        request_number: str
        personal: str | None
        # For the school's message and the convocation (absent before).
        school_name: str = ""
        school_email: str = ""
        # Seed 004: the candidate refused that their data be reused for
        # information (absent before: not refused).
        reuse_refused: bool = False

    # A class default: files confirmed before the choice was offered.
    reuse_refused = False

    def confirm(self, nonce: str, at: datetime, reuse_refused: bool = False) -> None:
        """The candidate checked the data and swore it is right."""
        self._require(AWAITING_EMAIL)
        self.check_link(nonce, at)
        self.trigger_event(
            self.Confirmed,
            confirmed_at=at,
            reuse_refused=reuse_refused,
            request_number=self.request_number,
            personal=self.personal,
            **self._school(),
            **self._told(),
        )

    @event(Confirmed)
    def _confirmed(self, confirmed_at: datetime, reuse_refused: bool = False) -> None:
        self.reuse_refused = reuse_refused
        self.status = ACTIVATED
        self.confirmed_at = confirmed_at
        self.activation_nonce = None

    class Refused(Aggregate.Event):
        refused_at: datetime
        # For the relay.
        school_id: str
        school_email: str
        neph: str

    def refuse(self, nonce: str, at: datetime) -> None:
        """The candidate says the data is wrong: the school must start again."""
        self._require(AWAITING_EMAIL)
        self.check_link(nonce, at)
        self.trigger_event(
            self.Refused,
            refused_at=at,
            school_email=self.school_email,
            **self._told(),
        )

    @event(Refused)
    def _refused(self, refused_at: datetime) -> None:
        self.status = REFUSED
        self.activation_nonce = None
        self.ended_at = refused_at

    class EmailValidated(Aggregate.Event):
        validated_at: datetime

    def validate_new_email(self, nonce: str, at: datetime) -> None:
        """An activated file's new e-mail address, proved by its link (CA-5)."""
        if not self.email_to_validate:
            raise CandidateFileStateError("Aucune nouvelle adresse e-mail à valider.")
        self.check_link(nonce, at)
        self._email_validated(validated_at=at)

    @event(EmailValidated)
    def _email_validated(self, validated_at: datetime) -> None:
        self.email_to_validate = False
        self.activation_nonce = None

    # -- expiry and erasure (CA-4) ------------------------------------------------

    def is_overdue(self, at: datetime) -> bool:
        return self.status == AWAITING_EMAIL and at > self.expires_at

    class Expired(Aggregate.Event):
        expired_at: datetime
        # For the relay.
        school_id: str
        school_email: str
        neph: str

    def expire(self, at: datetime) -> None:
        if not self.is_overdue(at):
            raise CandidateFileStateError("Ce dossier n'a pas dépassé son délai.")
        self.trigger_event(
            self.Expired,
            expired_at=at,
            school_email=self.school_email,
            **self._told(),
        )

    @event(Expired)
    def _expired(self, expired_at: datetime) -> None:
        self.status = EXPIRED
        self.activation_nonce = None
        self.personal = None  # its key is forgotten too: see the application

    # -- management (CA-5) ----------------------------------------------------------

    class ContactChanged(Aggregate.Event):
        personal: str
        contact: str
        nonce: str | None
        revalidate: bool
        # For the relay (a new link is sent with the file's data).
        school_id: str
        neph: str
        expires_at: datetime
        school_name: str = ""

    def change_contact(self, personal: str, contact: str, nonce: str | None) -> None:
        """New contact data; a new e-mail (with its `nonce`) must be proved again."""
        self._require(AWAITING_EMAIL, ACTIVATED)
        self.trigger_event(
            self.ContactChanged,
            personal=personal,
            contact=contact,
            nonce=nonce,
            revalidate=nonce is not None and self.status == ACTIVATED,
            expires_at=self.expires_at,
            school_name=self._school()["school_name"],
            **self._told(),
        )

    @event(ContactChanged)
    def _contact_changed(
        self, personal: str, contact: str, nonce: str | None, revalidate: bool
    ) -> None:
        self.personal = personal
        self.contact = contact
        if nonce is not None:
            self.activation_nonce = nonce
        if revalidate:
            self.email_to_validate = True

    class Archived(Aggregate.Event):
        archived_at: datetime
        # For the relay: booking stops taking seats for this file.
        school_id: str
        neph: str

    def archive(self, at: datetime) -> None:
        self._require(ACTIVATED, REFUSED)
        self.trigger_event(self.Archived, archived_at=at, **self._told())

    @event(Archived)
    def _archived(self, archived_at: datetime) -> None:
        self.status = ARCHIVED
        self.ended_at = archived_at

    # -- erasure on request and at the end of retention (TR-4) -------------------

    @property
    def is_erased(self) -> bool:
        return self.status in (ERASED, EXPIRED)

    def retention_over(self, at: datetime, retention: timedelta) -> bool:
        """A refused or archived file kept `retention` since it ended."""
        ended_at: datetime | None = getattr(self, "ended_at", None)
        return (
            self.status in ENDED_STATES
            and ended_at is not None
            and at >= ended_at + retention
        )

    class Erased(Aggregate.Event):
        erased_at: datetime
        # Why: « demande » (school or candidate) or « conservation » (retention).
        reason: str
        # For the relay.
        school_id: str
        neph: str

    def erase(self, at: datetime, reason: str, seat_upcoming: bool) -> None:
        """Forget the candidate. Refused while they hold an upcoming seat: the
        convocation names them and the centre checks who sits the exam, so the
        reservation must be cancelled first (and refunded, BO-7)."""
        if self.is_erased:
            raise CandidateFileStateError("Ce dossier est déjà effacé.")
        if seat_upcoming:
            raise CandidateFileStateError(
                "Ce candidat a une réservation d'examen à venir : annulez-la "
                "avant de demander l'effacement de son dossier."
            )
        self.trigger_event(self.Erased, erased_at=at, reason=reason, **self._told())

    @event(Erased)
    def _erased(self, erased_at: datetime, reason: str) -> None:
        self.status = ERASED
        self.personal = None  # its key is forgotten too: see the application
        self.activation_nonce = None
        self.email_to_validate = False
