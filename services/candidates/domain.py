"""The candidate file, as the school creates it and the candidate confirms it.

Walking-skeleton scope: creation and e-mail validation. Eligibility (CA-2),
activation pages (CA-3) and erasure on expiry (CA-4) come with the candidates
issue, which also moves personal data out of the event payloads.
"""

from __future__ import annotations

import re
from datetime import datetime

from eventsourcing.domain import Aggregate, event

AWAITING_EMAIL = "en attente de la validation de l'adresse e-mail"
ACTIVATED = "activé"

CIVILITIES = ("M", "MME")
_NEPH = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidCandidateFile(ValueError):
    """One or more fields of a candidate file are wrong; `fields` says which."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


class CandidateFileStateError(ValueError):
    """The file is not in a state that allows this."""


def check_new_file(
    neph: str, civility: str, birth_name: str, given_names: str, email: str | None
) -> None:
    errors: dict[str, str] = {}
    if not _NEPH.match(neph or ""):
        errors["neph"] = "Le NEPH doit comporter exactement 12 chiffres."
    if civility not in CIVILITIES:
        errors["civility"] = "La civilité doit être « M » ou « MME »."
    if not (birth_name or "").strip():
        errors["birth_name"] = "Le nom de naissance est obligatoire."
    if not (given_names or "").strip():
        errors["given_names"] = "Le ou les prénoms sont obligatoires."
    if email is not None and not _EMAIL.match(email):
        errors["email"] = "L'adresse e-mail n'est pas valide."
    if errors:
        raise InvalidCandidateFile(errors)


class CandidateFile(Aggregate):
    """A candidate's file for the theory test, owned by one driving school."""

    class Created(Aggregate.Created):
        school_id: str
        neph: str
        civility: str
        birth_name: str
        given_names: str
        email: str | None

    @event(Created)
    def __init__(
        self,
        school_id: str,
        neph: str,
        civility: str,
        birth_name: str,
        given_names: str,
        email: str | None,
    ) -> None:
        self.school_id = school_id
        self.neph = neph
        self.civility = civility
        self.birth_name = birth_name
        self.given_names = given_names
        self.email = email
        self.status = AWAITING_EMAIL
        self.email_validated_at: datetime | None = None

    class EmailValidated(Aggregate.Event):
        validated_at: datetime

    def validate_email(self, at: datetime) -> None:
        if self.email is None:
            raise CandidateFileStateError("Ce dossier n'a pas d'adresse e-mail.")
        if self.status != AWAITING_EMAIL:
            raise CandidateFileStateError("L'adresse e-mail est déjà validée.")
        self._email_validated(validated_at=at)

    @event(EmailValidated)
    def _email_validated(self, validated_at: datetime) -> None:
        self.email_validated_at = validated_at
        self.status = ACTIVATED
