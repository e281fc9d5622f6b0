"""Request and response shapes of the JSON API. The same schemas validate the
requests and generate the OpenAPI document (GW-1). Every text field follows the
one input policy of `services.common.inputs` and declares it (maxLength,
pattern); business rules (password, SIRET key, age…) are checked again by the
services, which report every field at once."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from gateway.fields import (
    FR,
    Day,
    QueryBoolean,
    boolean,
    checked,
    text,
)
from services.common import inputs


class ApiSchema(Schema):
    """Unknown fields are ignored; messages are in French."""

    class Meta:
        unknown = EXCLUDE

    error_messages = {"type": "Le corps de la requête doit être un objet JSON."}


class Part(ApiSchema):
    """An object inside a request body (an address)."""

    error_messages = {"type": "Un objet JSON est attendu ici."}


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


class Address(Part):
    street = checked(inputs.STREET, metadata={"example": "12 rue de la République"})
    postal_code = checked(inputs.POSTAL_CODE, metadata={"example": "69001"})
    city = checked(inputs.CITY, metadata={"example": "Lyon"})


class SignUp(ApiSchema):
    email = checked(inputs.EMAIL, metadata={"format": "email"})
    password = checked(
        inputs.PASSWORD,
        load_only=True,
        metadata={
            "description": "Au moins 8 caractères, une minuscule, une majuscule "
            "et un chiffre"
        },
    )
    civility = checked(inputs.CIVILITY, metadata={"enum": ["M", "MME"]})
    last_name = checked(inputs.NAME)
    first_name = checked(inputs.NAME)
    phone = checked(inputs.PHONE, metadata={"example": "06 12 34 56 78"})
    company_name = checked(inputs.COMPANY, metadata={"description": "Raison sociale"})
    siret = checked(inputs.SIRET, metadata={"example": "73282932000074"})
    address = fields.Nested(Address, required=True, error_messages=FR)


class SignUpAccepted(ApiSchema):
    message = fields.String(required=True)
    email = fields.String(required=True)


class Activation(ApiSchema):
    account_id = text(inputs.TOKEN, data_key="compte")
    token = text(inputs.TOKEN, data_key="jeton")


class EmailOnly(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})


class PasswordResetConfirm(ApiSchema):
    account_id = text(inputs.TOKEN, data_key="compte")
    token = text(inputs.TOKEN, data_key="jeton")
    password = checked(inputs.PASSWORD, load_only=True)


class Credentials(ApiSchema):
    email = text(inputs.EMAIL_LOOKUP, metadata={"format": "email"})
    password = checked(inputs.PASSWORD, load_only=True)


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
    civility = checked(inputs.CIVILITY, required=False, metadata={"enum": ["M", "MME"]})
    last_name = checked(inputs.NAME, required=False)
    first_name = checked(inputs.NAME, required=False)
    phone = checked(inputs.PHONE, required=False)
    company_name = checked(inputs.COMPANY, required=False)
    siret = checked(inputs.SIRET, required=False)


class Session(ApiSchema):
    token = fields.String(required=True)
    expires_at = fields.String(required=True)
    account = fields.Nested(Profile)


class PasswordChange(ApiSchema):
    current_password = checked(inputs.PASSWORD, load_only=True)
    new_password = checked(inputs.PASSWORD, load_only=True)


class NewToken(ApiSchema):
    message = fields.String(required=True)
    token = fields.String(required=True)
    expires_at = fields.String(required=True)


# -- candidates (CA-1…CA-5, EX-1) -----------------------------------------------------


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


class CandidateCode(ApiSchema):
    neph = text(inputs.NEPH)
    code = text(inputs.LETTER_CODE)


class CandidateLinkOut(ApiSchema):
    candidate_id = fields.String(data_key="dossier")
    token = fields.String(data_key="jeton")


class Confirmed(Candidate):
    receipt_token = fields.String(data_key="jeton_recu")


class CandidateReceiptQuery(ApiSchema):
    candidate_id = text(inputs.TOKEN, data_key="dossier")
    token = text(inputs.TOKEN, data_key="jeton_recu")


# -- search and booking (SC-3, BO-1…BO-5) --------------------------------------------


class NephQuery(ApiSchema):
    neph = text(inputs.NEPH)


class SessionSearch(ApiSchema):
    query = text(
        inputs.SEARCH, data_key="lieu", metadata={"description": "Ville ou code postal"}
    )
    after = Day(
        data_key="a_partir_du", load_default=None, allow_none=True, error_messages=FR
    )
    before = Day(
        data_key="avant_le", load_default=None, allow_none=True, error_messages=FR
    )
    individual_only = QueryBoolean(
        data_key="individuelle", load_default=False, error_messages=FR
    )
    pmr_only = QueryBoolean(data_key="pmr", load_default=False, error_messages=FR)


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
    neph = text(inputs.NEPH)
    session_id = text(inputs.TOKEN, data_key="session")


class SlotChange(ApiSchema):
    session_id = text(inputs.TOKEN, data_key="session")


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
    search = text(inputs.SEARCH, required=False, data_key="recherche")
    exam_date = Day(
        data_key="date", load_default=None, allow_none=True, error_messages=FR
    )


# -- checkout (BO-4, BI-1, BI-2) ---------------------------------------------------


class CardPayment(ApiSchema):
    cgv = boolean(
        metadata={"description": "Les conditions générales de vente sont acceptées"},
    )
    card_number = text(inputs.CARD_NUMBER, data_key="carte", load_only=True)
    idempotency_key = text(
        inputs.IDEMPOTENCY_KEY,
        data_key="cle",
        metadata={
            "description": "Une clé par paiement : la même clé ne paie qu'une fois"
        },
    )


class SepaPayment(ApiSchema):
    cgv = boolean()
    iban = checked(
        inputs.IBAN, metadata={"example": "FR14 2004 1010 0505 0001 3M02 606"}
    )
    bic = checked(inputs.BIC, metadata={"example": "PSSTFRPPLIL"})
    # Checked here in full: billing names this field "holder", the page "titulaire".
    holder = text(
        inputs.SEPA_HOLDER,
        data_key="titulaire",
        metadata={"description": "Titulaire du compte"},
    )
    idempotency_key = text(inputs.IDEMPOTENCY_KEY, data_key="cle")


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
