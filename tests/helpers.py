"""Small tools the tests share: reading the mail folder, waiting, publishing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import kombu

from services.common.contracts import Contract
from services.common.envelope import Envelope
from services.common.settings import Settings
from services.common.topology import declare_source, events_exchange

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Return check()'s first truthy value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def mails(folder: Path) -> list[EmailMessage]:
    if not folder.exists():
        return []
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def mails_to(folder: Path, recipient: str) -> list[EmailMessage]:
    return [m for m in mails(folder) if m["To"] == recipient]


def sms_to(folder: Path, phone: str) -> list[str]:
    """The texts of the SMS the catcher kept for `phone` (E.164)."""
    if not folder.exists():
        return []
    texts = []
    for path in sorted(folder.glob("*.txt")):
        head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        if f"\nTo: {phone}\n" in f"\n{head}\n":
            texts.append(text.strip())
    return texts


def publish_event(
    amqp_uri: str,
    source: str,
    contract: type[Contract],
    payload: dict[str, Any],
    position: int,
    times: int = 1,
    keystore: Any = None,
) -> None:
    """Publish one integration event as a relay would, `times` times over
    (its personal fields sealed, as the relay seals them, given the key
    store)."""
    envelope = Envelope(
        source=source,
        event_type=contract.event_type,
        version=contract.version,
        position=position,
        occurred_at=datetime.now(UTC).isoformat(),
    )
    body = contract().dump(payload)
    if keystore is not None:
        from services.common.sealing import seal_message

        body = seal_message(contract, body, keystore)
    options = {"confirm_publish": True}
    with kombu.Connection(amqp_uri, transport_options=options) as conn:
        channel = conn.channel()
        declare_source(channel, source)
        producer = kombu.Producer(channel, exchange=events_exchange(source))
        for _ in range(times):
            producer.publish(
                body,
                routing_key=contract.event_type,
                headers=envelope.headers(),
                serializer="json",
                delivery_mode=2,
            )


def link_in(mail: EmailMessage, path: str) -> str:
    """The first link of an e-mail whose path starts with `path`."""
    import re

    for url in re.findall(r"https?://\S+", mail.get_content()):
        if f"/{path.strip('/')}" in url:
            return url
    raise AssertionError(f"no {path} link in: {mail.get_content()}")


def link_params(mail: EmailMessage, path: str) -> dict[str, str]:
    """What the e-mailed link to `path` carries: all in its fragment, which no
    server receives, and nothing in a query string, which servers log."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(link_in(mail, path))
    assert not parts.query, f"a query string in an e-mailed link: {parts.query}"
    return dict(parse_qsl(parts.fragment))


def write_unchecked_file(
    app: Any,
    school_id: str,
    school_email: str,
    neph: str,
    birth_name: str = "Durand",
) -> UUID:
    """A candidate file written as the candidates application writes it,
    without the checks of the edge: the way a bad event got in before they
    existed (for tests of what a read model does with one)."""
    from services.candidates.domain import BY_EMAIL, CandidateFile
    from services.common.links import new_nonce

    file_id = uuid4()
    personal = {
        "civility": "M",
        "birth_name": birth_name,
        "usage_name": None,
        "given_names": "Paul",
        "birth_date": "2005-03-14",
        "email": f"{neph}@example.fr",
    }
    app.save(
        CandidateFile.create(
            file_id=file_id,
            school_id=school_id,
            school_email=school_email,
            neph=neph,
            personal=app.vault.seal(file_id, personal),
            contact=BY_EMAIL,
            nonce=new_nonce(),
            at=app.clock.now(),
        )
    )
    return file_id


def apart(settings: Settings) -> Settings:
    """These settings with schemas of their own (dropped with the run's): no
    process of a running platform leads their relays or followers."""
    return settings.replace(schema_prefix=f"{settings.schema_prefix}apart_")


def pdf_text(content: bytes) -> str:
    """A PDF's text as pdftotext lays it out (poppler-utils)."""
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


def one_line(text: str) -> str:
    """`text` with every run of blanks as one space: wrapped lines joined."""
    return " ".join(text.split())
