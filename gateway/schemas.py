"""Request and response shapes of the JSON API. The same schemas validate the
requests and generate the OpenAPI document (GW-1). Business rules (password,
SIRET, phone…) are checked by the services, which report every field at once."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields

FR = {
    "required": "Ce champ est obligatoire.",
    "null": "Ce champ est obligatoire.",
    "invalid": "Cette valeur n'est pas valide.",
    "type": "Cette valeur n'est pas valide.",
}


def text(required: bool = True, **kwargs: Any) -> fields.String:
    return fields.String(required=required, error_messages=FR, **kwargs)


class ApiSchema(Schema):
    """Unknown fields are ignored; messages are in French."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "Le corps de la requête doit être un objet JSON."}


# -- errors and messages ----------------------------------------------------------


class Error(ApiSchema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "donnees_invalides"})
    message = fields.String(required=True)
    field_messages = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages par champ, pour les saisies incorrectes"},
    )


class Message(ApiSchema):
    message = fields.String(required=True)


# -- accounts -------------------------------------------------------------------------


class Address(ApiSchema):
    street = text(metadata={"example": "12 rue de la République"})
    postal_code = text(metadata={"example": "69001", "pattern": r"^\d{5}$"})
    city = text(metadata={"example": "Lyon"})


class SignUp(ApiSchema):
    email = text(metadata={"format": "email"})
    password = text(
        load_only=True,
        metadata={
            "description": "Au moins 8 caractères, une minuscule, une majuscule "
            "et un chiffre"
        },
    )
    civility = text(metadata={"enum": ["M", "MME"]})
    last_name = text()
    first_name = text()
    phone = text(metadata={"example": "06 12 34 56 78"})
    company_name = text(metadata={"description": "Raison sociale"})
    siret = text(metadata={"description": "14 chiffres", "example": "73282932000074"})
    address = fields.Nested(Address, required=True, error_messages=FR)


class SignUpAccepted(ApiSchema):
    message = fields.String(required=True)
    email = fields.String(required=True)


class Activation(ApiSchema):
    account_id = text(data_key="compte")
    token = text(data_key="jeton")


class EmailOnly(ApiSchema):
    email = text(metadata={"format": "email"})


class PasswordResetConfirm(ApiSchema):
    account_id = text(data_key="compte")
    token = text(data_key="jeton")
    password = text(load_only=True)


class Credentials(ApiSchema):
    email = text(metadata={"format": "email"})
    password = text(load_only=True)


class Profile(ApiSchema):
    account_id = fields.String()
    kind = fields.String()
    email = fields.String()
    civility = fields.String()
    last_name = fields.String()
    first_name = fields.String()
    phone = fields.String()
    company_name = fields.String()
    siret = fields.String()
    address = fields.Nested(Address)
    active = fields.Boolean()


class ProfileChanges(ApiSchema):
    civility = text(required=False, metadata={"enum": ["M", "MME"]})
    last_name = text(required=False)
    first_name = text(required=False)
    phone = text(required=False)
    company_name = text(required=False)
    siret = text(required=False)


class Session(ApiSchema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
    account = fields.Nested(Profile)


class PasswordChange(ApiSchema):
    current_password = text(load_only=True)
    new_password = text(load_only=True)


class NewToken(ApiSchema):
    message = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)


# -- candidates (CA-1…CA-5, EX-1) -----------------------------------------------------


class OptionalAddress(ApiSchema):
    street = text(required=False)
    postal_code = text(required=False, metadata={"pattern": r"^\d{5}$"})
    city = text(required=False)


class NewCandidate(ApiSchema):
    neph = text(metadata={"description": "12 chiffres"})
    civility = text(metadata={"enum": ["M", "MME"]})
    birth_name = text()
    usage_name = text(required=False, allow_none=True)
    given_names = text(metadata={"description": "Tous les prénoms"})
    birth_date = text(metadata={"description": "JJ/MM/AAAA ou AAAA-MM-JJ"})
    email = text(required=False, allow_none=True, metadata={"format": "email"})
    address = fields.Nested(
        OptionalAddress,
        required=False,
        allow_none=True,
        metadata={"description": "Obligatoire sans adresse e-mail"},
    )
    phone = text(required=False, allow_none=True)


class ContactChange(ApiSchema):
    email = text(required=False, allow_none=True, metadata={"format": "email"})
    address = fields.Nested(OptionalAddress, required=False, allow_none=True)
    phone = text(required=False, allow_none=True)


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
    search = text(required=False, data_key="recherche")


class CsvImport(ApiSchema):
    csv = text(
        metadata={"description": "Le contenu du fichier CSV (séparateur ; ou ,)"}
    )


class ImportFailure(ApiSchema):
    line = fields.Integer()
    neph = fields.String(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportReport(ApiSchema):
    created = fields.Integer()
    failed = fields.List(fields.Nested(ImportFailure))


class CandidateLink(ApiSchema):
    candidate_id = text(data_key="dossier")
    token = text(data_key="jeton")


class CandidateConfirmation(CandidateLink):
    sworn = fields.Boolean(
        required=True,
        data_key="attestation",
        error_messages=FR,
        metadata={"description": "L'attestation sur l'honneur est cochée"},
    )


class CandidateCode(ApiSchema):
    neph = text()
    code = text()


class CandidateLinkOut(ApiSchema):
    candidate_id = fields.String(data_key="dossier")
    token = fields.String(data_key="jeton")


class Confirmed(Candidate):
    receipt_token = fields.String(data_key="jeton_recu")


class CandidateReceiptQuery(ApiSchema):
    candidate_id = text(data_key="dossier")
    token = text(data_key="jeton_recu")


# -- search and booking (SC-3, BO-1…BO-5) --------------------------------------------


class NephQuery(ApiSchema):
    neph = text()


class SessionSearch(ApiSchema):
    query = text(data_key="lieu", metadata={"description": "Ville ou code postal"})
    after = fields.Date(
        data_key="a_partir_du", load_default=None, allow_none=True, error_messages=FR
    )
    before = fields.Date(
        data_key="avant_le", load_default=None, allow_none=True, error_messages=FR
    )
    individual_only = fields.Boolean(
        data_key="individuelle", load_default=False, error_messages=FR
    )
    pmr_only = fields.Boolean(data_key="pmr", load_default=False, error_messages=FR)


class Slot(ApiSchema):
    id = fields.String()
    starts_at = fields.String()
    duration_minutes = fields.Integer()
    kind = fields.String()
    seats = fields.Integer()
    free_seats = fields.Integer()


class Centre(ApiSchema):
    id = fields.String()
    name = fields.String()
    address = fields.String()
    postal_code = fields.String()
    city = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    pmr = fields.Boolean()
    opening_hours = fields.String()
    distance_km = fields.Float()
    free_seats = fields.Integer()
    sessions = fields.List(fields.Nested(Slot))


class Place(ApiSchema):
    name = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class SearchResult(ApiSchema):
    place = fields.Nested(Place)
    centres = fields.List(fields.Nested(Centre))


class HoldRequest(ApiSchema):
    neph = text()
    session_id = text(data_key="session")


class SlotChange(ApiSchema):
    session_id = text(data_key="session")


class CartLine(ApiSchema):
    id = fields.String()
    candidate_id = fields.String()
    neph = fields.String()
    candidate_name = fields.String()
    session_id = fields.String()
    centre_name = fields.String()
    centre_city = fields.String()
    exam_starts_at = fields.String()
    expires_at = fields.String()
    status = fields.String()


class Cart(ApiSchema):
    items = fields.List(fields.Nested(CartLine))


class ReservationSearch(ApiSchema):
    search = text(required=False, data_key="recherche")
    exam_date = fields.Date(
        data_key="date", load_default=None, allow_none=True, error_messages=FR
    )


# -- checkout (BO-4, BI-1, BI-2) ---------------------------------------------------


class CardPayment(ApiSchema):
    cgv = fields.Boolean(
        required=True,
        error_messages=FR,
        metadata={"description": "Les conditions générales de vente sont acceptées"},
    )
    card_number = text(data_key="carte", load_only=True)
    idempotency_key = text(
        data_key="cle",
        metadata={
            "description": "Une clé par paiement : la même clé ne paie qu'une fois"
        },
    )


class SepaPayment(ApiSchema):
    cgv = fields.Boolean(required=True, error_messages=FR)
    iban = text(metadata={"example": "FR14 2004 1010 0505 0001 3M02 606"})
    bic = text(metadata={"example": "PSSTFRPPLIL"})
    holder = text(data_key="titulaire", metadata={"description": "Titulaire du compte"})
    idempotency_key = text(data_key="cle")


class Payment(ApiSchema):
    id = fields.String()
    status = fields.String()
    message = fields.String()
    amount_cents = fields.Integer()
    invoice_number = fields.Integer(allow_none=True)
    reservation_ids = fields.List(fields.String())


class PaymentRow(ApiSchema):
    id = fields.String()
    method = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    seats = fields.Integer()
    invoice_number = fields.Integer(allow_none=True)
    created_at = fields.String()


class PaymentList(ApiSchema):
    items = fields.List(fields.Nested(PaymentRow))
