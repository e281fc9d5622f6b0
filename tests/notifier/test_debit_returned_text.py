"""What the school reads when its SEPA debit came back (NO-2)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifier import texts


def test_the_school_is_told_which_reservations_are_cancelled_and_why():
    payload = {
        "invoice_number": "F2026-000012",
        "amount_cents": 6000,
        "reason": "provision insuffisante",
        "reason_code": "AM04",
        "returned_at": datetime(2026, 11, 24, 9, tzinfo=UTC),
        "candidates": [
            {
                "candidate_name": "Léa Martin",
                "neph": "123456789012",
                "centre_name": "Centre Lyon Gerland",
                "exam_starts_at": "2026-12-01T09:00:00+01:00",
            },
            {
                "candidate_name": "Hugo Petit",
                "neph": "123456789013",
                "centre_name": "Centre Lyon Gerland",
                "exam_starts_at": "2026-11-20T09:00:00+01:00",
            },
        ],
    }
    subject, body = texts.debit_returned(payload)
    assert subject == "Prélèvement SEPA impayé : réservations annulées"
    assert (
        "Votre banque a rejeté le prélèvement SEPA de la facture n° F2026-000012 "
        "(60,00 €), motif : provision insuffisante (code AM04)." in body
    )
    cancelled, passed = body.split("déjà passés")
    assert "Léa Martin (NEPH 123456789012), examen du mardi 1er décembre 2026" in (
        cancelled
    )
    assert "Hugo Petit" in passed and "Hugo Petit" not in cancelled
    assert "convocations ne sont plus valables" in cancelled
    assert "payer par carte bancaire" in body
    assert "n'est plus proposé" in body
    # With PMC_SEPA_CARD_ONLY_AFTER_RETURN off, SEPA is not said closed.
    _, open_body = texts.debit_returned(payload, card_only=False)
    assert "n'est plus proposé" not in open_body
    assert "payer par carte bancaire" in open_body
