"""The bank's return files for SEPA direct debits: which debits came back,
and why (BI-1).

Two ISO 20022 formats are read: camt.054 (BkToCstmrDbtCdtNtfctn, the entries
of the creditor's account, a returned debit with its RtrInf) and pain.002
(CstmrPmtStsRpt, a debit the bank refused: TxSts RJCT with its StsRsnInf).
The file comes from outside: it is parsed with defusedxml, which refuses any
DOCTYPE, entity or external reference (no XXE, no billion laughs, no network),
and is refused whole, in French, when it is too big, not one of these formats
or malformed, so that nothing of a doubtful file is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# A bank's daily return file is a few kilobytes a hundred returns; far more is
# not a return file, and is refused before it is parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TRANSACTIONS = 10_000

CAMT054 = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.054\.001\.0[2-8]$")
PAIN002 = re.compile(
    r"^urn:iso:std:iso:20022:tech:xsd:pain\.002\.001\.(0[3-9]|1[0-2])$"
)
REASON_CODE = re.compile(r"^[A-Z0-9]{4}$")
# What a reference may hold (ISO 20022's Max35Text, as our pain.008 writes it).
REFERENCE = re.compile(r"^[A-Za-z0-9+?/:().,' -]{1,35}$")
AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")

# The ISO 20022 reason codes of SEPA direct debit R-transactions, in French.
REASONS = {
    "AC01": "numéro de compte (IBAN) incorrect",
    "AC04": "compte clôturé",
    "AC06": "compte bloqué",
    "AC13": "compte d'un consommateur",
    "AG01": "prélèvement interdit sur ce compte",
    "AG02": "code opération incorrect",
    "AM04": "provision insuffisante",
    "AM05": "opération en double",
    "BE05": "créancier non reconnu",
    "CNOR": "banque du créancier injoignable",
    "DNOR": "banque du débiteur injoignable",
    "FF01": "format de fichier invalide",
    "MD01": "pas de mandat",
    "MD02": "données du mandat manquantes ou erronées",
    "MD06": "remboursement demandé par le débiteur",
    "MD07": "débiteur décédé",
    "MS02": "refus du débiteur",
    "MS03": "raison non communiquée par la banque",
    "RC01": "BIC incorrect",
    "RR01": "raison réglementaire",
    "RR02": "raison réglementaire",
    "RR03": "raison réglementaire",
    "RR04": "raison réglementaire",
    "SL01": "service spécifique de la banque du débiteur",
}
UNKNOWN_REASON = "motif non précisé par la banque"


def reason_label(code: str) -> str:
    """The French meaning of an ISO reason code, shown to the school."""
    return REASONS.get(code, UNKNOWN_REASON)


class ReturnFileRefused(ValueError):
    """The file is refused whole: nothing of it is applied."""


@dataclass(frozen=True)
class ReturnedDebit:
    """One debit the bank gave back, as the file names it."""

    end_to_end_id: str
    reason_code: str
    # Both optional in the formats; checked against our payment when given.
    mandate_reference: str | None
    amount_cents: int | None
    # Where it is in the file, for the report (« opération 3 »).
    position: int

    @property
    def reason(self) -> str:
        return reason_label(self.reason_code)


@dataclass(frozen=True)
class ReturnFile:
    kind: str  # "camt.054" or "pain.002"
    returned: list[ReturnedDebit]
    # Operations of the file that are no return (a credit, an accepted debit).
    ignored: int


def parse(content: bytes) -> ReturnFile:
    """The returned debits of a camt.054 or pain.002 file, or ReturnFileRefused."""
    if not content.strip():
        raise ReturnFileRefused("Le fichier est vide.")
    if len(content) > MAX_FILE_BYTES:
        raise ReturnFileRefused(
            f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : "
            "ce n'est pas un fichier de retours."
        )
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise ReturnFileRefused(
            "Le fichier contient une déclaration DOCTYPE ou des entités : refusé."
        ) from None
    except (ParseError, ValueError):
        raise ReturnFileRefused("Le fichier n'est pas un XML valide.") from None
    namespace, local = _split(root.tag)
    if local != "Document":
        raise ReturnFileRefused(_NOT_A_RETURN_FILE)
    if CAMT054.match(namespace):
        return _camt054(root, namespace)
    if PAIN002.match(namespace):
        return _pain002(root, namespace)
    raise ReturnFileRefused(_NOT_A_RETURN_FILE)


_NOT_A_RETURN_FILE = (
    "Ce fichier n'est ni un relevé camt.054 ni un rapport pain.002 de la banque."
)


def _split(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str) or not tag.startswith("{"):
        return "", str(tag)
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


class _Reader:
    """Paths of one namespace under an element: `a/b/c` with the prefix."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"d": namespace}

    def all(self, element: Element, path: str) -> list[Element]:
        return element.findall(self._path(path), self.ns)

    def text(self, element: Element, path: str) -> str | None:
        found = element.find(self._path(path), self.ns)
        if found is None or found.text is None:
            return None
        return found.text.strip()

    @staticmethod
    def _path(path: str) -> str:
        return "/".join(f"d:{step}" for step in path.split("/"))


def _camt054(root: Element, namespace: str) -> ReturnFile:
    read = _Reader(namespace)
    notification = read.all(root, "BkToCstmrDbtCdtNtfctn")
    if len(notification) != 1:
        raise ReturnFileRefused(_NOT_A_RETURN_FILE)
    returned: list[ReturnedDebit] = []
    ignored = 0
    position = 0
    for entry in read.all(notification[0], "Ntfctn/Ntry"):
        details = read.all(entry, "NtryDtls/TxDtls")
        if not details:
            raise _malformed(position + 1, "opération sans détail (TxDtls)")
        for tx in details:
            position += 1
            _bounded(position)
            code = read.text(tx, "RtrInf/Rsn/Cd")
            if code is None:
                ignored += 1  # a credit or a debit that went through
                continue
            amount = read.text(tx, "AmtDtls/TxAmt/Amt") or read.text(tx, "Amt")
            returned.append(
                _returned(
                    position,
                    read.text(tx, "Refs/EndToEndId"),
                    code,
                    read.text(tx, "Refs/MndtId"),
                    amount,
                )
            )
    return _checked("camt.054", returned, ignored)


def _pain002(root: Element, namespace: str) -> ReturnFile:
    read = _Reader(namespace)
    report = read.all(root, "CstmrPmtStsRpt")
    if len(report) != 1:
        raise ReturnFileRefused(_NOT_A_RETURN_FILE)
    returned: list[ReturnedDebit] = []
    ignored = 0
    position = 0
    transactions = read.all(report[0], "OrgnlPmtInfAndSts/TxInfAndSts")
    group = read.text(report[0], "OrgnlGrpInfAndSts/GrpSts")
    if not transactions and group in ("RJCT", "PART"):
        raise ReturnFileRefused(
            "Le rapport rejette un lot entier sans détailler ses opérations : "
            "à traiter avec la banque, rien n'a été appliqué."
        )
    for tx in transactions:
        position += 1
        _bounded(position)
        status = read.text(tx, "TxSts")
        if status is None:
            raise _malformed(position, "statut (TxSts) absent")
        if status != "RJCT":
            ignored += 1
            continue
        code = read.text(tx, "StsRsnInf/Rsn/Cd")
        if code is None:
            raise _malformed(position, "motif du rejet (StsRsnInf/Rsn/Cd) absent")
        returned.append(
            _returned(
                position,
                read.text(tx, "OrgnlEndToEndId"),
                code,
                read.text(tx, "OrgnlTxRef/MndtRltdInf/MndtId"),
                read.text(tx, "OrgnlTxRef/Amt/InstdAmt"),
            )
        )
    return _checked("pain.002", returned, ignored)


def _returned(
    position: int,
    end_to_end_id: str | None,
    code: str,
    mandate: str | None,
    amount: str | None,
) -> ReturnedDebit:
    if not end_to_end_id or not REFERENCE.match(end_to_end_id):
        raise _malformed(position, "référence de bout en bout absente ou invalide")
    if not REASON_CODE.match(code):
        raise _malformed(position, "code motif invalide")
    if mandate is not None and not REFERENCE.match(mandate):
        raise _malformed(position, "référence de mandat invalide")
    cents = None
    if amount is not None:
        if not AMOUNT.match(amount):
            raise _malformed(position, "montant invalide")
        try:
            cents = int(Decimal(amount) * 100)
        except InvalidOperation:
            raise _malformed(position, "montant invalide") from None
    return ReturnedDebit(end_to_end_id, code, mandate, cents, position)


def _checked(kind: str, returned: list[ReturnedDebit], ignored: int) -> ReturnFile:
    if not returned and not ignored:
        raise ReturnFileRefused("Le fichier ne contient aucune opération.")
    return ReturnFile(kind, returned, ignored)


def _bounded(position: int) -> None:
    if position > MAX_TRANSACTIONS:
        raise ReturnFileRefused(
            f"Le fichier compte plus de {MAX_TRANSACTIONS} opérations : refusé."
        )


def _malformed(position: int, what: str) -> ReturnFileRefused:
    return ReturnFileRefused(
        f"Fichier mal formé (opération {position}) : {what}. Rien n'a été appliqué."
    )
