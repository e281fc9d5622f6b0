"""Candidates' files (CA-1…CA-5, EX-1)."""

from __future__ import annotations

from marshmallow import fields

from gateway.fields import (
    FR,
    StrictBoolean,
    boolean,
    checked,
    text,
)
from gateway.schemas.base import ApiSchema, Part
from services.common import inputs


class OptionalAddress(Part):
    street = checked(inputs.STREET, required=False, allow_none=True)
    postal_code = checked(inputs.POSTAL_CODE, required=False, allow_none=True)
    city = checked(inputs.CITY, required=False, allow_none=True)


class NewCandidate(ApiSchema):
    neph = checked(inputs.NEPH)
    civility = checked(inputs.CIVILITY, metadata={"enum": ["M", "MME"]})
    birth_name = checked(inputs.NAME)
    usage_name = checked(inputs.NAME, required=False, allow_none=True)
    given_names = checked(
        inputs.GIVEN_NAMES, metadata={"description": "Tous les prénoms"}
    )
    birth_date = checked(
        inputs.BIRTH_DATE, metadata={"description": "JJ/MM/AAAA ou AAAA-MM-JJ"}
    )
    email = checked(
        inputs.EMAIL, required=False, allow_none=True, metadata={"format": "email"}
    )
    address = fields.Nested(
        OptionalAddress,
        required=False,
        allow_none=True,
        error_messages=FR,
        metadata={"description": "Obligatoire sans adresse e-mail"},
    )
    phone = checked(inputs.PHONE, required=False, allow_none=True)


class ContactChange(ApiSchema):
    email = checked(
        inputs.EMAIL, required=False, allow_none=True, metadata={"format": "email"}
    )
    address = fields.Nested(
        OptionalAddress, required=False, allow_none=True, error_messages=FR
    )
    phone = checked(inputs.PHONE, required=False, allow_none=True)


class Candidate(ApiSchema):
    id = fields.String()
    neph = fields.String()
    status = fields.String()
    contact = fields.String(metadata={"enum": ["email", "courrier"]})
    email_to_validate = fields.Boolean()
    request_number = fields.String()
    civility = fields.String(allow_none=True)
    birth_name = fields.String(allow_none=True)
    usage_name = fields.String(allow_none=True)
    given_names = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.Nested(OptionalAddress, allow_none=True)
    phone = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String()
    reuse_refused = fields.Boolean(data_key="refus_reutilisation")


class Erasure(ApiSchema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["effacé"]})


class CandidateRow(ApiSchema):
    candidate_id = fields.String()
    neph = fields.String()
    civility = fields.String(allow_none=True)
    birth_name = fields.String(allow_none=True)
    usage_name = fields.String(allow_none=True)
    given_names = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    contact = fields.String()
    status = fields.String()
    email_to_validate = fields.Boolean()
    created_at = fields.String()
    expires_at = fields.String()


class CandidateList(ApiSchema):
    items = fields.List(fields.Nested(CandidateRow))


class CandidateSearch(ApiSchema):
    search = text(inputs.SEARCH, required=False, data_key="recherche")


class CsvImport(ApiSchema):
    csv = text(
        inputs.CSV,
        metadata={"description": "Le contenu du fichier CSV (séparateur ; ou ,)"},
    )


class ImportFailure(ApiSchema):
    line = fields.Integer()
    neph = fields.String(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportReport(ApiSchema):
    created = fields.Integer()
    failed = fields.List(fields.Nested(ImportFailure))


class CandidateLink(ApiSchema):
    candidate_id = text(inputs.TOKEN, data_key="dossier")
    token = text(inputs.TOKEN, data_key="jeton")


class CandidateConfirmation(CandidateLink):
    sworn = boolean(
        data_key="attestation",
        metadata={"description": "L'attestation sur l'honneur est cochée"},
    )
    # Seed 004: « n'accepte pas que ses données personnelles soient réutilisées
    # à des fins d'information »; not ticked, not sent: not refused.
    reuse_refused = StrictBoolean(
        data_key="refus_reutilisation",
        required=False,
        load_default=False,
        error_messages=FR,
    )


class CandidateCode(ApiSchema):
    neph = text(inputs.NEPH)
    code = text(inputs.LETTER_CODE)


class CandidateLinkOut(ApiSchema):
    candidate_id = fields.String(data_key="dossier")
    token = fields.String(data_key="jeton")


class Confirmed(Candidate):
    receipt_token = fields.String(data_key="jeton_recu")


class CandidateReceiptRequest(ApiSchema):
    candidate_id = text(inputs.TOKEN, data_key="dossier")
    token = text(inputs.TOKEN, data_key="jeton_recu")
