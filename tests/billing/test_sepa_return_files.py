"""The bank's return files read safely: what came back and why, or refused whole."""

from __future__ import annotations

import pytest

from services.billing.returns import (
    MAX_FILE_BYTES,
    ReturnFileRefused,
    parse,
    reason_label,
)
from tests.sepa_files import BILLION_LAUGHS, XXE, Return, camt054, pain002


def test_a_camt054_gives_each_returned_debit_and_skips_the_credits():
    file = parse(
        camt054(
            [
                Return("F2026000012", "AM04", "PMC-0123456789ABCDEF", "60.00"),
                Return("F2026000013", "MD06"),
            ],
            credits=2,
        )
    )
    assert file.kind == "camt.054"
    assert file.ignored == 2
    first, second = file.returned
    assert (first.end_to_end_id, first.reason_code) == ("F2026000012", "AM04")
    assert first.mandate_reference == "PMC-0123456789ABCDEF"
    assert first.amount_cents == 6000
    assert first.reason == "provision insuffisante"
    assert (second.mandate_reference, second.amount_cents) == (None, None)
    assert second.reason == "remboursement demandé par le débiteur"


def test_a_pain002_gives_the_rejected_transactions_only():
    file = parse(pain002([Return("F2026000014", "AC04", amount="30.00")], accepted=3))
    assert file.kind == "pain.002"
    assert file.ignored == 3
    (rejected,) = file.returned
    assert rejected.end_to_end_id == "F2026000014"
    assert rejected.reason == "compte clôturé"
    assert rejected.amount_cents == 3000


def test_an_unknown_reason_code_is_kept_and_said_unspecified():
    (debit,) = parse(pain002([Return("F2026000015", "ZZ99")])).returned
    assert debit.reason_code == "ZZ99"
    assert reason_label("ZZ99") == "motif non précisé par la banque"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (XXE, "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b"", "vide"),
        (b"   \n", "vide"),
        (b"<Document", "XML valide"),
        (b"\x00\x01<Document/>", "XML valide"),
        (
            camt054([Return("F2026000012")]).replace(b"F2026000012", b"F20\x0126"),
            "XML valide",
        ),
        (b"<Document/>", "ni un relevé camt.054"),
        (
            camt054(
                [Return("F2026000012")],
                ns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
            ),
            "ni un relevé camt.054",
        ),
        (
            pain002([Return("F2026000012")], ns="urn:example:pain.002.001.03"),
            "ni un relevé camt.054",
        ),
        (
            pain002([Return("F2026000012")]).replace(b"Document", b"Dokument"),
            "ni un relevé camt.054",
        ),
        (pain002([Return("F2026000012", "AM04!")]), "code motif invalide"),
        (pain002([Return("")]), "référence de bout en bout"),
        (pain002([Return("F" + "9" * 40)]), "référence de bout en bout"),
        (pain002([Return("F2026000012", amount="-30.00")]), "montant invalide"),
        (pain002([Return("F2026000012", amount="3e5")]), "montant invalide"),
        (pain002([Return("F2026000012", mandate_reference="<x>")]), "XML valide"),
        (pain002([]).replace(b"PART", b"ACCP"), "aucune opération"),
        (camt054([]), "aucune opération"),
    ],
)
def test_a_hostile_or_malformed_file_is_refused_whole(content, message):
    with pytest.raises(ReturnFileRefused, match=message):
        parse(content)


def test_one_malformed_line_refuses_the_good_ones_with_it():
    good = Return("F2026000012")
    content = pain002([good, Return("F2026000013", "??")])
    with pytest.raises(ReturnFileRefused, match="opération 2"):
        parse(content)


def test_a_huge_file_is_refused_before_it_is_parsed():
    huge = pain002([Return("F2026000012")]) + b" " * MAX_FILE_BYTES
    with pytest.raises(ReturnFileRefused, match="dépasse 5 Mo"):
        parse(huge)


def test_a_report_rejecting_a_whole_batch_without_detail_is_refused():
    content = pain002([]).replace(b"PART", b"RJCT")
    with pytest.raises(ReturnFileRefused, match="lot entier"):
        parse(content)


def test_other_alphabets_digits_are_no_reference():
    arabic = "F٢٠٢٦000012"
    with pytest.raises(ReturnFileRefused, match="bout en bout"):
        parse(pain002([Return(arabic)]))
