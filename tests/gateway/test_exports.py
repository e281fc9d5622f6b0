"""The reservations and payments files' columns and cells (EX-1), from rows
as booking and billing answer them."""

from __future__ import annotations

import csv
import io

from gateway.exports import (
    PAYMENT_COLUMNS,
    RESERVATION_COLUMNS,
    payments_file,
    reservations_file,
)


def opened(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_a_reservation_row_in_french_columns():
    row = {
        "id": "r1",
        "neph": "123456789012",
        "candidate_name": '=HYPERLINK("x") Éloïse',
        "centre_name": "Centre Besançon",
        "centre_city": "Besançon",
        "exam_starts_at": "2027-03-02T08:00:00+00:00",
        "status": "confirmée",
        "changes_allowed_until": "2027-02-25T22:59:00+00:00",
        # Paid on the evening of 12/02 in Paris: the day as Paris says it.
        "paid_on": "2027-02-12",
    }
    [line] = opened(reservations_file([row]))
    assert list(line) == RESERVATION_COLUMNS
    assert line == {
        "NEPH": "123456789012",
        "Candidat": '\'=HYPERLINK("x") Éloïse',
        "Date de l'examen": "02/03/2027",
        "Heure": "09:00",
        "Centre": "Centre Besançon",
        "Ville": "Besançon",
        "Statut": "confirmée",
        "Modifiable jusqu'au": "25/02/2027 23:59",
        "Payée le": "12/02/2027",
    }
    unpaid = {**row, "changes_allowed_until": None, "paid_on": None}
    [past] = opened(reservations_file([unpaid]))
    assert past["Modifiable jusqu'au"] == past["Payée le"] == ""


def test_a_payment_row_says_what_the_page_says():
    rows = [
        {
            "id": "c1",
            "method": "carte",
            "status": "payé",
            "reason": "",
            "amount_cents": 6000,
            "seats": 2,
            "invoice_number": 17,
            "created_at": "2027-01-05T10:15:00+00:00",
            "paid_on": "2027-01-05",
            "invoice": "F2027-000017",
            "credit_notes": [
                {"number": "A2027-000003", "amount_cents": 3000},
                {"number": "A2027-000009", "amount_cents": 1500},
            ],
        },
        {
            "id": "c2",
            "method": "sepa",
            "status": "impayé",
            "reason": "Provision insuffisante",
            "amount_cents": 3000,
            "seats": 1,
            "invoice_number": None,
            "created_at": "2027-01-06T10:15:00+00:00",
            "paid_on": None,
            "invoice": None,
        },
    ]
    card, sepa = opened(payments_file(rows))
    assert list(card) == PAYMENT_COLUMNS
    assert card == {
        "Date": "05/01/2027",
        "Heure": "11:15",
        "Référence": "c1",
        "Moyen de paiement": "Carte bancaire",
        "Places": "2",
        "Montant TTC": "60,00",
        "Statut": "payé",
        "Payé le": "05/01/2027",
        "Facture n°": "F2027-000017",
        "Avoirs": "A2027-000003 (30,00 €), A2027-000009 (15,00 €)",
        "Remboursé TTC": "45,00",
    }
    assert sepa["Moyen de paiement"] == "Prélèvement SEPA"
    assert sepa["Statut"] == "impayé : Provision insuffisante"
    assert sepa["Payé le"] == sepa["Facture n°"] == ""
    assert sepa["Avoirs"] == sepa["Remboursé TTC"] == ""
