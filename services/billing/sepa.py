"""SEPA (BI-1, BI-4): bank details checked, mandates, the pain.008 file of
the debits, and the pain.001 file of the refunds by credit transfer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD, SepaTransfer

from services.common import inputs

# The platform as SEPA creditor (its creditor identifier and collection account).
CREDITOR = {
    "name": "La Poste Passer mon code",
    "IBAN": "FR7630006000011234567890189",
    "BIC": "AGRIFRPP",
    "batch": True,
    "creditor_id": "FR12ZZZ123456",
    "currency": "EUR",
}
# Days between the SEPA file and the debit (the scheme's minimum for a first one).
SEPA_COLLECTION_DAYS = 5
# Days after its collection during which the debtor's bank may still return
# a debit (the scheme's return period, in business days, rounded up).
SEPA_RETURN_DAYS = 5
# Days after a SEPA payment before its refund may be paid back: the debit is
# collected `SEPA_COLLECTION_DAYS` after the payment at the earliest, and the
# debtor's bank may still return it for `SEPA_RETURN_DAYS` after that.
REFUND_AFTER_DAYS = SEPA_COLLECTION_DAYS + SEPA_RETURN_DAYS
# The same account, as the payer of the refunds' transfers.
DEBTOR = {k: CREDITOR[k] for k in ("name", "IBAN", "BIC", "batch", "currency")}
TRANSFER_SCHEMA = "pain.001.001.03"


PARIS = ZoneInfo("Europe/Paris")


def refund_due_on(paid_at: datetime, refunded_at: datetime) -> date:
    """The first day (Paris) a SEPA payment's refund may be transferred:
    once its debit is collected and can no longer be returned."""
    paid = paid_at.astimezone(PARIS).date()
    refunded = refunded_at.astimezone(PARIS).date()
    return max(refunded, paid + timedelta(days=REFUND_AFTER_DAYS))


class InvalidBankDetails(ValueError):
    """IBAN, BIC or holder are wrong; `fields` says which."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("Les coordonnées bancaires sont incorrectes.")


def check_bank_details(iban: str, bic: str, holder: str) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    # The input policy first: ASCII only, and the holder fits the bank file's 70.
    try:
        clean["holder"] = inputs.SEPA_HOLDER.clean(holder)
    except inputs.InputError as exc:
        clean["holder"] = ""
        errors["holder"] = [str(exc)]
    try:
        parsed = IBAN(inputs.IBAN.clean(iban, required=True))
        clean["iban"] = parsed.compact
    except (inputs.InputError, SchwiftyException):
        errors["iban"] = ["L'IBAN n'est pas valide (vérifiez sa clé)."]
        parsed = None
    try:
        clean["bic"] = BIC(inputs.BIC.clean(bic, required=True)).compact
    except (inputs.InputError, SchwiftyException):
        errors["bic"] = ["Le BIC n'est pas valide."]
    bank_bic = parsed.bic if parsed is not None else None
    if (
        "bic" in clean
        and bank_bic is not None
        and bank_bic.compact[:6] != clean["bic"][:6]
    ):
        errors["bic"] = ["Ce BIC ne correspond pas à la banque de l'IBAN."]
    if not clean["holder"] and "holder" not in errors:
        errors["holder"] = ["Le titulaire du compte est obligatoire."]
    if errors:
        raise InvalidBankDetails(errors)
    return clean


def debit(mandate: dict[str, Any], amount_cents: int, invoice: str) -> dict[str, Any]:
    """One debit of the bank's file, under `mandate` (IBAN and holder in
    clear: opened for the file only), for the invoice numbered `invoice`."""
    return {
        "holder": mandate["holder"],
        "iban": mandate["iban"],
        "bic": mandate["bic"],
        "amount_cents": amount_cents,
        "mandate_reference": mandate["reference"],
        "mandate_signed_on": mandate["signed_on"],
        "description": f"Passer mon code, facture {invoice}",
        "end_to_end_id": invoice.replace("-", ""),
    }


def pain008(debits: list[dict[str, Any]], collection_date: date) -> bytes:
    """The file for the bank, validated against the pain.008.001.02 schema."""
    file = SepaDD(dict(CREDITOR), schema="pain.008.001.02", clean=True)
    for debit in debits:
        file.add_payment(
            {
                "name": debit["holder"],
                "IBAN": debit["iban"],
                "BIC": debit["bic"],
                "amount": debit["amount_cents"],
                "type": "RCUR" if debit.get("recurring") else "FRST",
                "collection_date": collection_date,
                "mandate_id": debit["mandate_reference"],
                "mandate_date": date.fromisoformat(debit["mandate_signed_on"]),
                "description": debit["description"],
                "endtoend_id": debit["end_to_end_id"],
            }
        )
    return file.export(validate=True)


def transfer(
    mandate: dict[str, Any], amount_cents: int, credit_note: str, invoice: str
) -> dict[str, Any]:
    """One refund of the bank's transfer file, to the account the debit of
    `invoice` was taken from (`mandate`, opened for the file only); its
    remittance information names the credit note."""
    return {
        "holder": mandate["holder"],
        "iban": mandate["iban"],
        "bic": mandate["bic"],
        "amount_cents": amount_cents,
        "description": f"Passer mon code, avoir {credit_note} (facture {invoice})",
        "end_to_end_id": credit_note.replace("-", ""),
    }


class _SameEveryTime(SepaTransfer):
    """sepaxml draws the file's identifiers at random and dates it now: a
    file asked for again must be the same file, so both are given."""

    def __init__(self, message_id: str, created_at: datetime) -> None:
        super().__init__(dict(DEBTOR), schema=TRANSFER_SCHEMA, clean=True)
        self.msg_id = message_id
        header = self._xml.find(self.root_el).find("GrpHdr")
        header.find("MsgId").text = message_id
        header.find("CreDtTm").text = created_at.strftime("%Y-%m-%dT%H:%M:%S")

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for n, node in enumerate(self._xml.iter("PmtInfId"), start=1):
            node.text = f"{self.msg_id}-{n}"


def pain001(
    transfers: list[dict[str, Any]],
    message_id: str,
    created_at: datetime,
    execution_date: date,
) -> bytes:
    """The refunds' file for the bank, validated against the pain.001.001.03
    schema: the same arguments give the same bytes."""
    file = _SameEveryTime(message_id, created_at)
    for one in transfers:
        file.add_payment(
            {
                "name": one["holder"],
                "IBAN": one["iban"],
                "BIC": one["bic"],
                "amount": one["amount_cents"],
                "execution_date": execution_date,
                "description": one["description"],
                "endtoend_id": one["end_to_end_id"],
            }
        )
    return file.export(validate=True)
