"""The candidate's own account and space (ID-6)."""

from __future__ import annotations

from marshmallow import fields

from gateway.fields import checked, text
from gateway.schemas.base import ApiSchema
from gateway.schemas.candidates import Candidate, CandidateConfirmation
from services.common import inputs

# Six ASCII digits: « ١٢٣٤٥٦ » or full-width digits are refused, not read.
ACCOUNT_CODE = inputs.Rule(6, r"^[0-9]{6}$", "Le code comporte 6 chiffres.")
CHANNEL = inputs.Rule(9, r"^(email|telephone)$", "Canal inconnu.")


class CandidateAccountOpening(CandidateConfirmation):
    """Confirm the file and open one's account with a password (seed 004)."""

    password = checked(
        inputs.PASSWORD,
        load_only=True,
        data_key="mot_de_passe",
        metadata={
            "description": "Au moins 8 caractères, une minuscule, une majuscule "
            "et un chiffre"
        },
    )


class CandidateAccount(ApiSchema):
    account_id = fields.String(data_key="compte")
    email = fields.String()
    phone = fields.String(data_key="telephone", allow_none=True)
    email_verified = fields.Boolean(data_key="email_verifie")
    phone_verified = fields.Boolean(data_key="telephone_verifie")
    files = fields.List(fields.String(), data_key="dossiers")


class CandidateSession(ApiSchema):
    token = fields.String(data_key="jeton", allow_none=True)
    expires_at = fields.String(data_key="expire_le", allow_none=True)
    account = fields.Nested(CandidateAccount, data_key="compte")
    message = fields.String()


class CodeRequest(ApiSchema):
    channel = text(CHANNEL, data_key="canal")


class CodeCheck(CodeRequest):
    code = text(ACCOUNT_CODE)


class CandidateCredentials(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})
    password = checked(inputs.PASSWORD, load_only=True, data_key="mot_de_passe")


class Convocation(ApiSchema):
    id = fields.String()
    centre_name = fields.String(allow_none=True)
    centre_city = fields.String(allow_none=True)
    exam_starts_at = fields.String()


class OwnResult(ApiSchema):
    """A released result of the candidate's (RE-1): none before the release."""

    reservation_id = fields.String()
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    # Out of 40; null when the candidate was absent.
    score = fields.Integer(allow_none=True)
    # « admis » (35 or more), « ajourné » or « absent ».
    outcome = fields.String()
    # The last day a pass counts (5 years); null otherwise.
    valid_until = fields.String(allow_none=True)


class OwnFile(Candidate):
    school_name = fields.String(allow_none=True)
    confirmed_at = fields.String(allow_none=True)
    convocations = fields.List(fields.Nested(Convocation))
    results = fields.List(fields.Nested(OwnResult))


class OwnFiles(ApiSchema):
    items = fields.List(fields.Nested(OwnFile))
