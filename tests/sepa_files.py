"""Return files as a bank writes them (camt.054, pain.002), and the
transfers of our pain.001, for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import fromstring

import xmlschema
from sepaxml import validation

# The pain.001 schema as sepaxml ships it.
PAIN001 = xmlschema.XMLSchema(
    Path(validation.__file__).parent / "schemas" / "pain.001.001.03.xsd"
)
PAIN001_NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}

CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"


@dataclass
class Return:
    end_to_end_id: str
    reason_code: str = "AM04"
    mandate_reference: str | None = None
    amount: str | None = None


def camt054(returns: list[Return], credits: int = 0, ns: str = CAMT054_NS) -> bytes:
    """A notification of the creditor's account: each return an entry with
    its RtrInf; `credits` collections that went through, without one."""
    entries = "".join(_camt_entry(r) for r in returns)
    entries += "".join(
        f'<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryDtls>'
        f"<TxDtls><Refs><EndToEndId>CREDIT{n}</EndToEndId></Refs></TxDtls>"
        f"</NtryDtls></Ntry>"
        for n in range(credits)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>CAMT-1</MsgId>"
        "<CreDtTm>2026-11-24T08:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id>"
        "<CreDtTm>2026-11-24T08:00:00</CreDtTm>"
        "<Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
        f"{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def _camt_entry(r: Return) -> str:
    mandate = f"<MndtId>{r.mandate_reference}</MndtId>" if r.mandate_reference else ""
    amount = (
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{r.amount}</Amt></TxAmt></AmtDtls>'
        if r.amount
        else ""
    )
    return (
        f'<Ntry><Amt Ccy="EUR">{r.amount or "0.00"}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<RvslInd>true</RvslInd><Sts>BOOK</Sts><NtryDtls><TxDtls>"
        f"<Refs><EndToEndId>{r.end_to_end_id}</EndToEndId>{mandate}</Refs>"
        f"{amount}<RtrInf><Rsn><Cd>{r.reason_code}</Cd></Rsn></RtrInf>"
        "</TxDtls></NtryDtls></Ntry>"
    )


def pain002(returns: list[Return], accepted: int = 0, ns: str = PAIN002_NS) -> bytes:
    """The bank's status report: each return a rejected transaction (RJCT);
    `accepted` transactions that went through (ACCP)."""
    txs = "".join(_pain_tx(r) for r in returns)
    txs += "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>OK{n}</OrgnlEndToEndId>"
        "<TxSts>ACCP</TxSts></TxInfAndSts>"
        for n in range(accepted)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}">'
        "<CstmrPmtStsRpt><GrpHdr><MsgId>STS-1</MsgId>"
        "<CreDtTm>2026-11-24T08:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>PAIN008-1</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>PART</GrpSts>"
        "</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>"
        f"{txs}</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()


def _pain_tx(r: Return) -> str:
    reference = ""
    if r.mandate_reference or r.amount:
        amount = (
            f'<Amt><InstdAmt Ccy="EUR">{r.amount}</InstdAmt></Amt>' if r.amount else ""
        )
        mandate = (
            f"<MndtRltdInf><MndtId>{r.mandate_reference}</MndtId></MndtRltdInf>"
            if r.mandate_reference
            else ""
        )
        reference = f"<OrgnlTxRef>{amount}{mandate}</OrgnlTxRef>"
    return (
        f"<TxInfAndSts><OrgnlEndToEndId>{r.end_to_end_id}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{r.reason_code}</Cd></Rsn>"
        f"</StsRsnInf>{reference}</TxInfAndSts>"
    )


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<Document xmlns="' + PAIN002_NS.encode() + b'"><CstmrPmtStsRpt>&x;'
    b"</CstmrPmtStsRpt></Document>"
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<Document xmlns="' + PAIN002_NS.encode() + b'">&lol3;</Document>'
)


def transfers(xml: str | bytes) -> list[tuple[str, str, str, str]]:
    """A pain.001's transfers (end-to-end id, amount, IBAN, remittance
    information), once it is valid against its schema."""
    text = xml.decode() if isinstance(xml, bytes) else xml
    PAIN001.validate(text)
    return [
        (
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=PAIN001_NS),
            tx.findtext("p:Amt/p:InstdAmt", namespaces=PAIN001_NS),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=PAIN001_NS),
            tx.findtext("p:RmtInf/p:Ustrd", namespaces=PAIN001_NS),
        )
        for tx in fromstring(text).iterfind(".//p:CdtTrfTxInf", PAIN001_NS)
    ]
