"""The one input policy (GW-3): the same refusals at the gateway's schemas, in
the services' own rules, in CSV imports and exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from marshmallow import ValidationError

from gateway import schemas
from services.billing.sepa import InvalidBankDetails, check_bank_details
from services.candidates import rules as candidate_rules
from services.candidates.transfer import export_rows, import_rows
from services.common import inputs
from services.common.csvfiles import CsvError, read_rows, safe_cell
from services.identity import rules as identity_rules
from services.scheduling import transfer as scheduling_transfer

FULL_WIDTH = "１２３４５６７８９０１２"
ARABIC_INDIC = "١٢٣٤٥٦٧٨٩٠١٢"
HOSTILE_TEXT = [
    "Dupont\x00",
    "Dupont\u202etnopuD",  # right-to-left override
    "Du\u200bpont",  # zero-width space
    "Du\ufeffpont",
    "Du\x1bpont",
    "Du\npont",
    "Du\u2028pont",
    "\ud800",  # a lone surrogate: no UTF-8 for PostgreSQL
]
TODAY = date(2026, 11, 23)
GOOD_FILE = {
    "neph": "123456789012",
    "civility": "MME",
    "birth_name": "Lambert",
    "given_names": "Zoé",
    "birth_date": "17/03/2006",
    "email": "zoe@example.fr",
}


def refusal(rule: inputs.Rule, value: object) -> str:
    with pytest.raises(inputs.InputError) as refused:
        rule.clean(value, required=True)
    return str(refused.value)


# -- text -------------------------------------------------------------------------


def test_text_is_normalised_to_nfc_and_stripped():
    decomposed = "  Zoe\u0301 Le\u0300ve  "
    assert inputs.NAME.clean(decomposed) == "Zoé Lève"


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_control_format_and_line_characters_are_refused_in_a_one_line_field(value):
    message = refusal(inputs.NAME, value)
    assert message in (
        inputs.ONE_LINE,
        "Ce champ contient un caractère invisible ou de contrôle non autorisé "
        f"(U+{ord(next(c for c in value if not c.isalpha())):04X}).",
    )


def test_a_multi_line_field_takes_line_breaks_but_no_other_control():
    comment = inputs.Rule(100, multiline=True)
    assert comment.clean(" Ligne 1\r\nLigne 2\n") == "Ligne 1\r\nLigne 2"
    assert "U+0000" in refusal(comment, "a\nb\x00")
    assert "U+202E" in refusal(comment, "a\n\u202eb")


def test_a_csv_file_is_refused_whole_only_for_what_no_line_report_could_hold():
    assert inputs.CSV.clean("\ufeffa;b\r\nc\u202e;d\n") == "a;b\r\nc\u202e;d\n"
    assert refusal(inputs.CSV, "a;b\r\nc;\x00") == (
        "Le fichier contient un caractère non autorisé (U+0000) à la ligne 2."
    )


def test_each_field_has_a_length_from_where_it_ends_up():
    assert refusal(inputs.SEPA_HOLDER, "x" * 71) == (
        "Ce champ ne peut pas dépasser 70 caractères."
    )
    assert inputs.SEPA_HOLDER.clean("x" * 70) == "x" * 70
    assert refusal(inputs.NAME, "a" * 10_000) == (
        "Ce champ ne peut pas dépasser 50 caractères."
    )
    assert refusal(inputs.STREET, "x" * 39).endswith("38 caractères.")


@pytest.mark.parametrize("value", [None, 12, 1e300, ["a"], {"a": "b"}, True])
def test_only_text_is_text(value):
    if value is None:
        assert refusal(inputs.NAME, value) == inputs.REQUIRED
    else:
        assert refusal(inputs.NAME, value) == inputs.NOT_TEXT


@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_empty_and_whitespace_only_are_blank(value):
    assert inputs.NAME.clean(value) == ""
    assert refusal(inputs.NAME, value) == inputs.REQUIRED


# -- identifiers ------------------------------------------------------------------


def test_a_neph_is_twelve_ascii_digits_and_nothing_else():
    assert inputs.NEPH.clean("1234 5678 9012") == "123456789012"
    for typed in (FULL_WIDTH, ARABIC_INDIC, "12345678901", "12345678901A"):
        assert refusal(inputs.NEPH, typed) == inputs.NEPH_MESSAGE


def test_a_siret_needs_its_key_in_ascii_digits_and_zeros_are_no_siret():
    assert inputs.SIRET.clean("732 829 320 00074") == "73282932000074"
    assert inputs.SIRET.clean("35600000009075") == "35600000009075"  # La Poste
    for typed in (
        "00000000000000",
        "73282932000075",
        "７３２８２９３２０００７４",
        "٧٣٢٨٢٩٣٢٠٠٠٧٤",
    ):
        assert refusal(inputs.SIRET, typed) == inputs.SIRET_MESSAGE


def test_a_postal_code_is_five_ascii_digits_of_a_real_departement():
    assert inputs.POSTAL_CODE.clean("69001") == "69001"
    for typed in ("６９００１", "٦٩٠٠١", "6900", "00000", "69 001"):
        assert refusal(inputs.POSTAL_CODE, typed) == inputs.POSTAL_CODE_MESSAGE


def test_whole_numbers_and_dates_refuse_digits_python_would_convert():
    assert int("１２") == 12  # why the rules never call int() on typed text
    with pytest.raises(inputs.InputError):
        inputs.whole_number("１２", 1, 100)
    assert inputs.whole_number("12", 1, 100) == 12
    with pytest.raises(inputs.InputError, match="AAAA-MM-JJ"):
        inputs.day("２０２６-11-23")


# -- e-mail addresses -------------------------------------------------------------


def test_email_addresses_are_checked_by_their_syntax_without_dns():
    assert inputs.EMAIL.clean(" Jean.Dupont@Example.FR ") == "jean.dupont@example.fr"
    assert inputs.EMAIL.clean("eleve@école.fr") == "eleve@xn--cole-9oa.fr"
    for typed in ("😀@example.fr", "zoé@example.fr"):
        assert refusal(inputs.EMAIL, typed) == inputs.EMAIL_NOT_ASCII
    for typed in ("pas-un-email", "a@b", "a@@b.fr", "a b@c.fr", "a@localhost"):
        assert refusal(inputs.EMAIL, typed) == inputs.EMAIL_MESSAGE
    too_long = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".fr"
    assert len(too_long) > 254
    assert "254" in refusal(inputs.EMAIL, too_long)


# -- dates --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_date_out_of_range_is_refused_in_french(typed):
    with pytest.raises(inputs.InputError, match="comprise entre le 01/01/2000"):
        inputs.day(typed)


def test_a_date_that_does_not_exist_is_refused():
    with pytest.raises(inputs.InputError, match="n'existe pas"):
        inputs.day("2026-02-30")
    assert inputs.day("2026-11-23") == date(2026, 11, 23)


def test_birth_dates_come_in_two_forms_with_ascii_digits_from_1900():
    assert inputs.birth_date("17/03/2006") == date(2006, 3, 17)
    assert inputs.birth_date("2006-03-17") == date(2006, 3, 17)
    for typed in ("١٧/٠٣/٢٠٠٦", "17/03/1899", "31/02/2006", "17-03-2006"):
        with pytest.raises(inputs.InputError):
            inputs.birth_date(typed)


# -- the gateway's schemas --------------------------------------------------------


@pytest.mark.parametrize("cgv", ["yes", "true", 1, "on", None, {}])
def test_only_json_true_accepts_the_terms(cgv):
    with pytest.raises(ValidationError) as refused:
        schemas.CardPayment().load(
            {"cgv": cgv, "jeton": "tok_test_approved", "cle": "k"}
        )
    assert "cgv" in refused.value.messages
    loaded = schemas.CardPayment().load(
        {"cgv": True, "jeton": "tok_test_approved", "cle": "k"}
    )
    assert loaded["cgv"] is True


def test_query_flags_are_true_or_false():
    schema = schemas.SessionSearch()
    assert schema.load({"lieu": "Lyon", "pmr": "true"})["pmr_only"] is True
    with pytest.raises(ValidationError) as refused:
        schema.load({"lieu": "Lyon", "pmr": "oui", "avant_le": "9999-12-31"})
    assert set(refused.value.messages) == {"pmr", "avant_le"}


def test_the_schemas_refuse_hostile_text_with_a_french_message_per_field():
    with pytest.raises(ValidationError) as refused:
        schemas.NewCandidate().load(
            {
                **GOOD_FILE,
                "birth_name": "Lambert\x00",
                "given_names": {"nested": "object"},
                "usage_name": "x" * 10_000,
                "address": "not an object",
            }
        )
    messages = refused.value.messages
    assert "U+0000" in messages["birth_name"][0]
    assert messages["given_names"] == [inputs.NOT_TEXT]
    assert messages["usage_name"] == ["Ce champ ne peut pas dépasser 50 caractères."]
    # The gateway's error answer names it "address".
    assert messages["address"] == {"_schema": ["Un objet JSON est attendu ici."]}


def test_the_openapi_document_declares_lengths_and_patterns():
    from gateway.openapi import openapi_document
    from gateway.service import GatewayService  # noqa: F401  (declares routes)

    components = openapi_document()["components"]["schemas"]
    neph = components["NewCandidate"]["properties"]["neph"]
    assert neph["pattern"] == inputs.NEPH.pattern
    assert components["SepaPayment"]["properties"]["titulaire"]["maxLength"] == 70
    assert components["SignUp"]["properties"]["email"]["maxLength"] == 254
    assert components["SignUp"]["properties"]["siret"]["pattern"]
    assert components["Address"]["properties"]["postal_code"]["maxLength"] == 5


# -- the services' own rules: the same refusals without the gateway ----------------


def test_a_candidate_file_reached_by_rpc_keeps_nothing_the_gateway_refuses():
    _, errors = candidate_rules.check_new_file(GOOD_FILE, TODAY)
    assert errors == {}
    _, errors = candidate_rules.check_new_file(
        {
            **GOOD_FILE,
            "neph": FULL_WIDTH,
            "birth_name": "Lam\x00bert",
            "given_names": "Zoé\u202e",
            "email": "😀@example.fr",
            "birth_date": "١٧/٠٣/٢٠٠٦",
            "phone": "０６ １２ ３４ ５６ ７８",
        },
        TODAY,
    )
    assert set(errors) == {
        "neph",
        "birth_name",
        "given_names",
        "email",
        "birth_date",
        "phone",
    }
    assert errors["neph"] == [inputs.NEPH_MESSAGE]


def test_an_account_reached_by_rpc_keeps_nothing_the_gateway_refuses():
    _, errors = identity_rules.check_sign_up(
        {
            "email": "a" * 300 + "@example.fr",
            "password": "Permis2026\x00",
            "civility": "MME",
            "last_name": '=HYPERLINK("http://x")',  # text: accepted as typed
            "first_name": "Sophie\u200b",
            "phone": "06 12 34 56 78",
            "company_name": "x" * 101,
            "siret": "00000000000000",
            "address": {"street": "1 rue", "postal_code": "٦٩٠٠١", "city": "Lyon"},
        }
    )
    assert set(errors) == {
        "email",
        "password",
        "first_name",
        "company_name",
        "siret",
        "address.postal_code",
    }


def test_a_sepa_holder_fits_the_bank_files_seventy_characters():
    good = ("FR14 2004 1010 0505 0001 3M02 606", "PSSTFRPPLIL")
    assert check_bank_details(*good, "Auto-école du Centre")["holder"]
    with pytest.raises(InvalidBankDetails) as refused:
        check_bank_details(*good, "x" * 71)
    assert refused.value.fields == {
        "holder": ["Ce champ ne peut pas dépasser 70 caractères."]
    }
    with pytest.raises(InvalidBankDetails) as refused:
        check_bank_details("ＦＲ14 2004 1010 0505 0001 3M02 606", good[1], "\x00")
    assert set(refused.value.fields) == {"iban", "holder"}


# -- CSV: imports read whole and checked per line, exports safe ---------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_start_a_formula_is_escaped(start):
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert safe_cell("Dupont") == "Dupont"
    assert safe_cell(None) == ""


def test_the_candidate_export_shows_a_formula_name_as_text():
    exported = export_rows(
        [
            {
                "neph": "123456789012",
                "civility": "M",
                "birth_name": '=HYPERLINK("http://evil.example","Dupont")',
                "given_names": "+33 Jean",
                "email": "@x",
                "status": "activé",
                "created_at": "2026-11-23T10:00:00+00:00",
            }
        ]
    )
    rows = list(csv.reader(io.StringIO(exported), delimiter=";"))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","Dupont")'
    assert rows[1][4] == "'+33 Jean"
    assert rows[1][6] == "'@x"


def test_an_unreadable_file_is_refused_whole():
    with pytest.raises(CsvError, match="U\\+0000"):
        read_rows("neph;nom\r\n1;\x00\r\n", ["neph"])
    with pytest.raises(CsvError, match="dépasser"):
        read_rows("x" * (inputs.CSV_MAX + 1), ["neph"])


def test_a_hostile_candidate_line_is_reported_and_the_good_one_created():
    created: list[dict] = []

    def create(data: dict) -> None:
        _, errors = candidate_rules.check_new_file(data, TODAY)
        if errors:
            raise InvalidLine(errors)
        created.append(data)

    text = (
        "neph;civilite;nom_naissance;prenoms;date_naissance;email\r\n"
        "123456789012;M;Dupont;Jean;01/01/2000;jean@example.fr\r\n"
        f"{FULL_WIDTH};M;Du\u202epont;Jean;01/01/2000;jean2@example.fr\r\n"
    )
    report = import_rows(text, create, InvalidLine)
    assert report["created"] == 1
    assert report["failed"][0]["line"] == 3
    assert set(report["failed"][0]["errors"]) == {"neph", "birth_name"}


class InvalidLine(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("ligne invalide")


def test_exam_sessions_from_csv_refuse_digits_and_numbers_python_would_take():
    scheduled: list[dict] = []
    text = (
        "centre;debut;places;type\r\n"
        "LYON-1;2026-12-01 09:00;18;collective\r\n"
        "LYON-1;２０２６-12-01 09:00;１８;collective\r\n"
        "LYON-1;2026-12-01 09:00;99999999999;collective\r\n"
    )
    report = scheduling_transfer.import_sessions(
        text, lambda **fields: scheduled.append(fields)
    )
    assert report["created"] == 1
    assert [f["line"] for f in report["failed"]] == [3, 4]
    assert set(report["failed"][0]["errors"]) == {"debut"}
    centres = scheduling_transfer.import_centres(
        "code;nom;adresse;code_postal;ville;latitude;longitude\r\n"
        "X;Centre;1 rue;69001;Lyon;nan;4.8\r\n"
        "Y;Centre;1 rue;69001;Lyon;95;4.8\r\n",
        lambda fields: pytest.fail(f"registered {fields}"),
    )
    assert [set(f["errors"]) for f in centres["failed"]] == [
        {"latitude"},
        {"latitude"},
    ]


def test_an_exam_centre_registered_by_rpc_keeps_nothing_the_gateway_refuses():
    from services.scheduling.domain import SchedulingError
    from services.scheduling.rules import check_centre

    good = {
        "code": "LYON-1",
        "name": "Centre de Lyon",
        "address": "1 rue du Test",
        "postal_code": "69001",
        "city": "Lyon",
        "departement": "69",
        "latitude": 45.76,
        "longitude": 4.84,
        "pmr": True,
        "opening_hours": "",
    }
    assert check_centre(good) == good
    with pytest.raises(SchedulingError) as refused:
        check_centre(
            {
                **good,
                "name": "Centre\x00",
                "city": "x" * 33,
                "postal_code": "６９００１",
                "latitude": float("nan"),
                "pmr": "oui",
            }
        )
    assert set(refused.value.fields) == {
        "name",
        "city",
        "postal_code",
        "latitude",
        "pmr",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sepa-file", "２０２６-01-02"],
            "DAY: La date doit être au format AAAA-MM-JJ.",
        ),
        (["sepa-file", "9999-12-31"], "DAY: La date doit être comprise entre"),
        (["sepa-transfers", "2026-13-45"], "DAY: Cette date n'existe pas."),
        (["sepa-transfers", ""], "DAY: La date doit être au format AAAA-MM-JJ."),
        (
            ["sepa-transfers", "2026-01-01'; DROP TABLE x"],
            "DAY: Ce champ ne peut pas dépasser 10 caractères.",
        ),
        (["sepa-transfers", "9999-12-31"], "DAY: La date doit être comprise entre"),
        (["history", "１" * 32], "not an aggregate id"),
    ],
)
def test_pmc_refuses_what_the_gateway_refuses_before_touching_anything(
    argv, message, capsys
):
    from pmc.cli import main

    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(message)


def test_an_account_is_found_by_its_address_however_the_domain_is_typed():
    signed_up = inputs.EMAIL.clean("Eleve@École.fr")
    assert signed_up == "eleve@xn--cole-9oa.fr"
    assert identity_rules.normalise_email(" ELEVE@école.FR ") == signed_up
    assert inputs.EMAIL_LOOKUP.clean("old..style@example.fr") == "old..style@example.fr"


@pytest.mark.parametrize("typed", ["١٠٠", "１００", "1e2", "-5", "100.0", True])
def test_a_search_radius_is_typed_with_the_digits_0_to_9(typed):
    with pytest.raises(ValidationError) as refused:
        schemas.SessionSearch().load({"lieu": "Lyon", "rayon": typed})
    assert "rayon" in refused.value.messages


def test_a_search_radius_within_bounds_is_read():
    assert (
        schemas.SessionSearch().load({"lieu": "Lyon", "rayon": "150"})["radius_km"]
        == 150
    )
    with pytest.raises(ValidationError, match="1 à 1 000 km"):
        schemas.SessionSearch().load({"lieu": "Lyon", "rayon": "5000"})
