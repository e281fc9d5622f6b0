"""Commands and queries of candidates' digital identities (ID-7), over the
identity application (its store, key vault, password hasher and links)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from services.common.calendar import NATIONAL, is_working_day
from services.common.sessions import CANDIDATE
from services.common.validation import normalise_phone
from services.identity.application import IdentityApplication
from services.identity.candidate_account import PHONE_CODE, CandidateAccount
from services.identity.digital_identity import ACTIVE, ONLINE, DigitalIdentity
from services.identity.errors import (
    AccountNotFound,
    BadCredentials,
    IdentityError,
    InvalidFields,
)
from services.identity.identity_codes import (
    ACTIVATION_PURPOSE,
    POST_OFFICE_PURPOSE,
    identity_code,
    video_digits,
)
from services.identity.identity_holders import DocumentHolder, PhoneHolder
from services.identity.identity_rules import check_request
from services.identity.identity_uploads import (
    PARIS,
    IdentityUpload,
    check_uploads,
    review_deadline,
)
from services.identity.secrets import new_nonce

CARRIER_SLOTS = 10
SECRET_LENGTH = 4


class IdentityNotFound(LookupError):
    """No digital identity request for this account (or id)."""


def carrier_slots(today: date) -> list[date]:
    """The days the mail carrier can come: the next working days (Monday to
    Friday, public holidays left out) from the day after tomorrow."""
    slots: list[date] = []
    day = today + timedelta(days=2)
    while len(slots) < CARRIER_SLOTS:
        if is_working_day(day, NATIONAL):
            slots.append(day)
        day += timedelta(days=1)
    return slots


class DigitalIdentities:
    """What identity does with candidates' digital identities."""

    def __init__(self, app: IdentityApplication) -> None:
        self.app = app

    # -- the candidate's side ----------------------------------------------------

    def request(self, account_id: UUID, data: Any) -> dict[str, Any]:
        """Enter the identity data and document; refused with the reason for a
        minor, an expired document or a short residence permit."""
        account = self._account(account_id)
        clean, problems = check_request(data, self.app.clock.now().date())
        if problems:
            raise InvalidFields(problems)
        digest = self._digest("document", clean["document"]["numero"])
        sealed = self.app.vault.seal(account.id, clean)
        now = self.app.clock.now()
        identity = self._find(account.id)
        if identity is None:
            identity = DigitalIdentity(
                account_id=account.id,
                personal=sealed,
                document_digest=digest,
                requested_at=now,
            )
        else:
            identity.renew(sealed, digest, now)
        holder = self._document_holder(digest)
        records: list[Aggregate] = [identity]
        if holder is None:
            records.append(
                DocumentHolder(document_digest=digest, identity_id=identity.id)
            )
        elif holder.identity_id != identity.id:
            if not self._erased(holder.identity_id):
                raise IdentityError(
                    "Cette pièce d'identité sert déjà à une autre Identité Numérique."
                )
            holder.reassign(identity.id)
            records.append(holder)
        try:
            self.app.save(*records)
        except IntegrityError:  # the same document a moment earlier
            raise IdentityError(
                "Cette demande a déjà été enregistrée : actualisez la page."
            ) from None
        return self.view(account.id)

    def choose_post_office(self, account_id: UUID) -> dict[str, Any]:
        identity = self._current(account_id)
        identity.choose_post_office(
            new_nonce(), self.app.clock.now(), self._contact(identity)
        )
        self.save(identity)
        return self.view(account_id)

    def choose_carrier(self, account_id: UUID, slot: Any) -> dict[str, Any]:
        identity = self._current(account_id)
        offered = carrier_slots(self._today())
        day = next((d for d in offered if d.isoformat() == slot), None)
        if day is None:
            raise InvalidFields({"creneau": ["Choisissez une des dates proposées."]})
        # The carrier confirms the visit until the end of the next day.
        deadline = datetime.combine(day + timedelta(days=2), time(), tzinfo=PARIS)
        identity.choose_carrier(day, deadline)
        self.save(identity)
        return self.view(account_id)

    def choose_online(self, account_id: UUID) -> dict[str, Any]:
        """A registered e-letter explains the procedure and gives the 3 digits
        to pronounce in the video (the notifier sends it)."""
        identity = self._current(account_id)
        identity.choose_online(
            new_nonce(), self.app.clock.now(), self._contact(identity)
        )
        self.save(identity)
        return self.view(account_id)

    def submit_online(self, account_id: UUID, files: Any) -> dict[str, Any]:
        identity = self._current(account_id)
        found, problems = check_uploads(files)
        if problems:
            raise InvalidFields(problems)
        uploads = [
            IdentityUpload(
                identity_id=identity.id,
                part=part,
                content_type=kind,
                size=len(data),
                sealed=self.app.vault.seal(
                    identity.account_id, {"data": base64.b64encode(data).decode()}
                ),
            )
            for part, (kind, data) in found.items()
        ]
        now = self.app.clock.now()
        identity.submit_online([str(u.id) for u in uploads], review_deadline(now))
        self.app.save(identity, *uploads)
        return self.view(account_id)

    def activate(self, account_id: UUID, code: Any, secret: Any) -> dict[str, Any]:
        """The activation code received by SMS and e-mail, and the 4-digit
        secret code the candidate chooses."""
        identity = self._current(account_id)
        if not _is_secret(secret):
            raise InvalidFields({"code_secret": ["Le code secret compte 4 chiffres."]})
        account = self._account(account_id)
        contact = self.app.vault.unseal(account.id, account.personal) or {}
        phone = contact.get("phone")
        if PHONE_CODE not in account.verified or not phone:
            raise IdentityError("Vérifiez d'abord votre numéro de téléphone mobile.")
        expected = identity_code(
            self.app.links, ACTIVATION_PURPOSE, identity.id, identity.nonce or ""
        )
        now = self.app.clock.now()
        try:
            identity.activate(
                code_ok=code == expected,
                secret_hash=self.app.passwords.hash(secret),
                at=now,
            )
        finally:
            if identity.pending_events and identity.status != ACTIVE:
                self.app.save(identity)  # a wrong code counts even when refused
        records: list[Aggregate] = [identity]
        digest = self._digest("phone", phone)
        try:
            holder = self.app.repository.get(PhoneHolder.create_id(digest))
        except AggregateNotFoundError:
            records.append(PhoneHolder(digest=digest, identity_id=identity.id))
        else:
            if holder.identity_id != identity.id:
                if not self._erased(holder.identity_id):
                    raise IdentityError(
                        "Ce numéro de téléphone sert déjà à une autre Identité "
                        "Numérique."
                    )
                holder.reassign(identity.id)
                records.append(holder)
        try:
            self.app.save(*records)
        except IntegrityError:
            raise IdentityError(
                "Ce numéro de téléphone sert déjà à une autre Identité Numérique."
            ) from None
        return self.view(account_id)

    def strong_sign_in(self, phone: Any, secret: Any) -> dict[str, Any]:
        """Phone number and secret code: a candidate's session."""
        e164 = normalise_phone(phone) if isinstance(phone, str) else None
        if not e164 or not _is_secret(secret):
            raise BadCredentials()
        try:
            holder = self.app.repository.get(
                PhoneHolder.create_id(self._digest("phone", e164))
            )
            identity = self.app.repository.get(holder.identity_id)
        except AggregateNotFoundError:
            self.app.passwords.waste_time(str(secret))
            raise BadCredentials() from None
        if self._erased(identity.id):
            self.app.passwords.waste_time(str(secret))
            raise BadCredentials()
        secret_ok = identity.secret_hash is not None and self.app.passwords.verify(
            identity.secret_hash, secret
        )
        now = self.app.clock.now()
        try:
            identity.try_secret(secret_ok, now, self._contact(identity))
        finally:
            if identity.pending_events:
                self.app.save(identity)
        account = self._account(identity.account_id)
        session = self.app.sessions.issue(
            account.id, account.session_generation, now, kind=CANDIDATE
        )
        return {**session, "identity": self.view(account.id)}

    def view(self, account_id: UUID) -> dict[str, Any]:
        """The candidate's request as they see it (a deadline passed ends it)."""
        identity = self._find(account_id)
        if identity is None:
            return {"statut": None, "creneaux": self._slots()}
        identity = self._end_if_overdue(identity)
        return {
            "identity_id": str(identity.id),
            "statut": identity.status,
            "mode": identity.mode,
            "echeance": identity.deadline.isoformat() if identity.deadline else None,
            "creneau": identity.slot,
            "motif": identity.reason,
            "demande": identity.request_number,
            "donnees": self.app.vault.unseal(account_id, identity.personal),
            "creneaux": self._slots(),
        }

    # -- helpers -------------------------------------------------------------------

    def _slots(self) -> list[str]:
        return [d.isoformat() for d in carrier_slots(self._today())]

    def _today(self) -> date:
        """Today as the candidate and the carrier count days: in Paris."""
        return self.app.clock.now().astimezone(PARIS).date()

    def _end_if_overdue(self, identity: DigitalIdentity) -> DigitalIdentity:
        """A missed deadline ends the request when it is looked at, even if
        the sweep (services/identity/deadlines.py) has not come by yet: no
        decision is ever taken on a request past its deadline."""
        if identity.missed_deadline(self.app.clock.now()) is None:
            return identity
        if self.end_overdue(identity):
            return identity
        # Ended (or decided) elsewhere a moment earlier: the stored state.
        return self.app.repository.get(identity.id)

    def end_overdue(self, identity: DigitalIdentity) -> bool:
        """End a request past its deadline (no agent, the domain's reason);
        whether this call ended it. Ended by another process at the same
        moment, the version check refuses this one: False, nothing written."""
        now = self.app.clock.now()
        reason = identity.missed_deadline(now)
        if reason is None:
            return False
        identity.refuse(None, reason, now, self._contact(identity))
        try:
            self.app.save(identity)
        except IntegrityError:
            return False
        return True

    def save(self, identity: DigitalIdentity) -> None:
        """Save a step; another's step on the same request first (a double
        click, two agents, the deadline sweep) is a clear refusal, not a 500."""
        try:
            self.app.save(identity)
        except IntegrityError:
            raise IdentityError(
                "Cette demande vient d'être traitée par ailleurs : rechargez-la."
            ) from None

    def current(self, identity_id: UUID) -> DigitalIdentity:
        """An identity by its id (for agents), overdue ones ended first."""
        try:
            identity = self.app.repository.get(identity_id)
        except AggregateNotFoundError:
            raise IdentityNotFound(identity_id) from None
        if not isinstance(identity, DigitalIdentity):
            raise IdentityNotFound(identity_id)
        return self._end_if_overdue(identity)

    def _current(self, account_id: UUID) -> DigitalIdentity:
        self._account(account_id)
        identity = self._find(account_id)
        if identity is None:
            raise IdentityNotFound(account_id)
        return self._end_if_overdue(identity)

    def _find(self, account_id: UUID) -> DigitalIdentity | None:
        try:
            return self.app.repository.get(DigitalIdentity.create_id(account_id))
        except AggregateNotFoundError:
            return None

    def _document_holder(self, digest: str) -> DocumentHolder | None:
        try:
            return self.app.repository.get(DocumentHolder.create_id(digest))
        except AggregateNotFoundError:
            return None

    def find_by_document(self, number: Any) -> DigitalIdentity:
        """The counter agent's search: the number read on the document."""
        if not isinstance(number, str) or not 8 <= len(number.strip()) <= 12:
            raise IdentityNotFound(number)
        holder = self._document_holder(self._digest("document", number.strip().upper()))
        if holder is None:
            raise IdentityNotFound(number)
        return self.current(holder.identity_id)

    def _erased(self, identity_id: UUID) -> bool:
        """Whether an identity's account was closed with its data (TR-4)."""
        identity = self.app.repository.get(identity_id)
        try:
            self._account(identity.account_id)
        except AccountNotFound:
            return True
        return False

    def _account(self, account_id: UUID) -> CandidateAccount:
        try:
            account = self.app.repository.get(account_id)
        except AggregateNotFoundError:
            raise AccountNotFound(account_id) from None
        if not isinstance(account, CandidateAccount) or account.closed:
            raise AccountNotFound(account_id)
        return account

    def _contact(self, identity: DigitalIdentity) -> str:
        """The account's sealed contact, for the messages the relay sends."""
        return self._account(identity.account_id).personal

    def _digest(self, what: str, value: str) -> str:
        return hmac.new(
            self.app.email_digest(f"digital-identity:{what}").encode(),
            value.encode(),
            hashlib.sha256,
        ).hexdigest()

    def video_digits(self, identity: DigitalIdentity) -> str | None:
        """The 3 digits the online check's video must show being said."""
        if identity.mode != ONLINE or identity.nonce is None:
            return None
        return video_digits(self.app.links, identity.id, identity.nonce)

    def post_office_code(self, identity: DigitalIdentity) -> str:
        return identity_code(
            self.app.links, POST_OFFICE_PURPOSE, identity.id, identity.nonce or ""
        )


def _is_secret(secret: Any) -> bool:
    # ASCII digits only: str.isdigit() takes other alphabets' digits.
    return (
        isinstance(secret, str)
        and len(secret) == SECRET_LENGTH
        and all("0" <= c <= "9" for c in secret)
    )
