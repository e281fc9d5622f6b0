"""Candidate files: commands and queries, returning plain data (CA-1…CA-5)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.candidates import rules, transfer
from services.candidates.activation import Activation
from services.candidates.contact_changes import VALIDATED_EMAIL, validated_email
from services.candidates.domain import (
    ACTIVATED,
    BY_EMAIL,
    BY_POST,
    ERASED,
    EXPIRED,
    CandidateFile,
    CandidateFileError,
    NephClaim,
)
from services.candidates.erasure import Erasure
from services.candidates.errors import (
    CandidateFileNotFound,
    InvalidCandidateFile,
)
from services.candidates.mailboxes import SCHOOLS_OWN_ADDRESS, SchoolMailboxes
from services.candidates.publications import PUBLISHED
from services.common import inputs
from services.common.idempotency import Idempotent, once
from services.common.links import LinkTokens, new_nonce
from services.common.store import ServiceApplication

PARIS = ZoneInfo("Europe/Paris")
NEPH_ACTIVE_HERE = "Votre auto-école a déjà un dossier actif pour ce NEPH."
NEPH_UNAVAILABLE = (
    "Ce NEPH ne peut pas être utilisé pour un nouveau dossier. Vérifiez-le ; "
    "s'il est exact, contactez l'assistance Passer mon code."
)


class CandidatesApplication(Activation, Erasure, ServiceApplication):
    """The candidates service's application: creation, the school's side and
    queries here; the candidate's side in activation.py, erasure in erasure.py."""

    name: ClassVar[str] = "candidates"
    published: ClassVar = PUBLISHED
    publishes_sealed: ClassVar = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.links = LinkTokens(self.settings.secret_key.get_secret_value())

    # -- the schools' own mailboxes (issue 12) ----------------------------------------

    @cached_property
    def mailboxes(self) -> SchoolMailboxes:
        return SchoolMailboxes(self, self.keystore)

    def school_address_published(
        self, school_id: str, email: str | None, tracking: Any
    ) -> None:
        """Identity told a school's own address: no candidate's file gives it."""
        self.mailboxes.heard(school_id, email, tracking)

    # -- creation (CA-1, CA-2) ------------------------------------------------------

    def today(self) -> Any:
        return self.clock.now().astimezone(PARIS).date()

    def create_file(
        self,
        school_id: str,
        school_email: str,
        data: dict[str, Any],
        idempotency_key: str | None = None,
        school_name: str = "",
    ) -> dict[str, Any]:
        """CA-1: once per idempotency key; a retry gets the same file back."""
        request = Idempotent.of(
            self.settings.secret_key.get_secret_value(),
            "candidate",
            school_id,
            idempotency_key,
            data,
        )
        return once(
            self,
            request,
            lambda mark: self._create_file(
                school_id, school_email, data, mark, school_name
            ),
            lambda file_id: self.view(self._get(UUID(file_id), school_id)),
        )

    def _create_file(
        self,
        school_id: str,
        school_email: str,
        data: dict[str, Any],
        mark: Any,
        school_name: str = "",
    ) -> dict[str, Any]:
        clean, errors = rules.check_new_file(data, self.today())
        if self.mailboxes.is_schools(
            school_id, clean["personal"]["email"], school_email
        ):
            errors["email"] = [SCHOOLS_OWN_ADDRESS]
        if not errors:
            holder = self._neph_holder(clean["neph"])
            if holder is not None:
                errors["neph"] = [self._neph_taken(holder, school_id)]
        if errors:
            raise InvalidCandidateFile(errors)
        personal = clean["personal"]
        file_id = uuid4()
        file = CandidateFile.create(
            file_id=file_id,
            school_id=school_id,
            school_email=school_email,
            school_name=school_name,
            neph=clean["neph"],
            personal=self.vault.seal(file_id, personal),
            contact=BY_EMAIL if personal["email"] else BY_POST,
            nonce=new_nonce(),
            at=self.clock.now(),
        )
        try:
            claim = self._claim_for(clean["neph"], file.id)
            self.save(file, claim, *mark(str(file.id)))
        except (IntegrityError, CandidateFileError):
            # Another file took this NEPH a moment earlier.
            raise InvalidCandidateFile({"neph": [NEPH_UNAVAILABLE]}) from None
        return self.view(file)

    def _neph_taken(self, holder: UUID, school_id: str) -> str:
        """Why a NEPH with an active file cannot have another: said plainly to
        the school that has that file; to any other school, no more than that
        it cannot be used (issue 12: no NEPH oracle across schools)."""
        try:
            mine = self._get(holder).school_id == school_id
        except CandidateFileNotFound:
            mine = False
        return NEPH_ACTIVE_HERE if mine else NEPH_UNAVAILABLE

    def _neph_holder(self, neph: str) -> UUID | None:
        try:
            return self.repository.get(NephClaim.create_id(neph)).candidate_id
        except AggregateNotFoundError:
            return None

    def _claim_for(self, neph: str, candidate_id: UUID) -> NephClaim:
        try:
            claim = self.repository.get(NephClaim.create_id(neph))
        except AggregateNotFoundError:
            return NephClaim(neph=neph, candidate_id=candidate_id)
        claim.claim(candidate_id)
        return claim

    def _release_neph(self, file: CandidateFile) -> NephClaim | None:
        try:
            claim = self.repository.get(NephClaim.create_id(file.neph))
        except AggregateNotFoundError:
            return None
        claim.release(file.id)
        return claim

    # -- the school's side (CA-4, CA-5) -------------------------------------------

    def resend_link(self, school_id: str, candidate_id: UUID) -> dict[str, Any]:
        file = self._get(candidate_id, school_id)
        file.reissue_activation_link(new_nonce())
        self.save(file)
        return self.view(file)

    def change_contact(
        self, school_id: str, candidate_id: UUID, data: dict[str, Any]
    ) -> dict[str, Any]:
        file = self._get(candidate_id, school_id)
        current = self._personal(file) or {}
        merged = {k: data.get(k, current.get(k)) for k in rules.CONTACT_FIELDS}
        contact, errors = rules.check_contact(merged)
        if self.mailboxes.is_schools(school_id, contact["email"]):
            errors["email"] = [SCHOOLS_OWN_ADDRESS]
        if errors:
            raise InvalidCandidateFile(errors)
        email_changed = bool(contact["email"]) and contact["email"] != current.get(
            "email"
        )
        kept = validated_email(file.status, file.email_to_validate, current)
        if email_changed and kept:
            contact = {**contact, VALIDATED_EMAIL: kept}
        sealed = self.vault.seal(file.id, {**current, **contact})
        file.change_contact(
            personal=sealed,
            contact=BY_EMAIL if contact["email"] else BY_POST,
            nonce=new_nonce() if email_changed else None,
        )
        self.save(file)
        return self.view(file)

    def archive(self, school_id: str, candidate_id: UUID) -> dict[str, Any]:
        file = self._get(candidate_id, school_id)
        file.archive(self.clock.now())
        self.save(file, self._release_neph(file))
        return self.view(file)

    def import_csv(
        self,
        school_id: str,
        school_email: str,
        text: str,
        idempotency_key: str | None = None,
        school_name: str = "",
    ) -> dict[str, Any]:
        """EX-1: one file per line; the report names each failed line and why.

        With a key, the file is bound to it and each line gets a key of its own
        (its rank): a retried or concurrent import, even after a crash halfway,
        creates each line once and reports the same."""
        secret = self.settings.secret_key.get_secret_value()
        whole = Idempotent.of(secret, "import", school_id, idempotency_key, text)
        once(self, whole, lambda mark: self.save(*mark("import")), lambda _id: None)
        rank = iter(range(1, 1_000_000_000))

        def create(data: dict[str, Any]) -> Any:
            # A line break never occurs in a client's key: no collision with one.
            key = f"{idempotency_key}\n{next(rank)}" if idempotency_key else None
            return self.create_file(school_id, school_email, data, key, school_name)

        try:
            return transfer.import_rows(text, create, InvalidCandidateFile)
        except transfer.BadCsv as exc:
            raise InvalidCandidateFile({"csv": [str(exc)]}) from None

    def export_csv(self, school_id: str) -> str:
        return transfer.export_rows(self.list_files(school_id))

    def contact(self, candidate_id: UUID) -> dict[str, Any]:
        """How to reach a candidate (for the notifier's convocations)."""
        file = self._get(candidate_id)
        view = self.view(file)
        keys = ("civility", "birth_name", "given_names", "email", "address", "contact")
        if file.email_to_validate:
            # CA-5: a new address is used once proved; until then, the old one.
            personal = self._personal(file) or {}
            view["email"] = personal.get(VALIDATED_EMAIL) or view["email"]
        # The school that filed it, told of a change of slot (BO-6).
        return {**{k: view[k] for k in keys}, "school_email": file.school_email}

    def booking_view(self, school_id: str, neph: str) -> dict[str, Any]:
        """BO-1: the school's activated file for a NEPH, as the booking shows it."""
        holder = self._neph_holder(neph.strip().replace(" ", ""))
        try:
            file = self._get(holder, school_id) if holder else None
        except CandidateFileNotFound:
            file = None
        if file is None or file.status != ACTIVATED:
            raise CandidateFileNotFound(
                "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."
            )
        return self.view(file)

    # -- queries ---------------------------------------------------------------------

    def get_file(self, candidate_id: UUID, school_id: str | None = None) -> dict:
        return self.view(self._get(candidate_id, school_id))

    def list_files(self, school_id: str, search: str = "") -> list[dict[str, Any]]:
        try:
            # PostgreSQL cannot even compare a text holding NUL: refuse it here too.
            search = inputs.SEARCH.clean(search)
        except inputs.InputError as exc:
            raise InvalidCandidateFile({"recherche": [str(exc)]}) from None
        return self.views["candidate_list"].search(school_id, search)

    def _load(self, candidate_id: UUID, school_id: str | None = None) -> CandidateFile:
        """The file, whatever its state; another school's is not found."""
        try:
            file = self.repository.get(candidate_id)
        except AggregateNotFoundError:
            raise CandidateFileNotFound() from None
        # An id may name another kind of aggregate (a NEPH's claim).
        if not isinstance(file, CandidateFile) or (
            school_id is not None and file.school_id != school_id
        ):
            raise CandidateFileNotFound()
        return file

    def _get(self, candidate_id: UUID, school_id: str | None = None) -> CandidateFile:
        file = self._load(candidate_id, school_id)
        if file.status in (EXPIRED, ERASED):
            raise CandidateFileNotFound()  # deleted (CA-4): only its history remains
        return file

    def _personal(self, file: CandidateFile) -> dict[str, Any] | None:
        if not file.personal:
            return None
        return self.vault.unseal(file.id, file.personal)

    def view(self, file: CandidateFile) -> dict[str, Any]:
        personal = self._personal(file) or {}
        return {
            "id": str(file.id),
            "school_id": file.school_id,
            "school_name": getattr(file, "school_name", ""),
            "neph": file.neph,
            "status": file.status,
            "contact": file.contact,
            "email_to_validate": file.email_to_validate,
            "request_number": file.request_number,
            "expires_at": file.expires_at.isoformat(),
            "reuse_refused": file.reuse_refused,
            "created_at": file.created_on.isoformat(),
            "civility": personal.get("civility"),
            "birth_name": personal.get("birth_name"),
            "usage_name": personal.get("usage_name"),
            "given_names": personal.get("given_names"),
            "birth_date": personal.get("birth_date"),
            "email": personal.get("email"),
            "address": personal.get("address"),
            "phone": personal.get("phone"),
        }
