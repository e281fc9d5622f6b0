"""Personal data on the bus travels sealed with its subject's key.

A contract names its personal fields (`Contract.personal`) and whose they are
(`Contract.subject_of`). The relay takes those fields out of the message and
puts them, sealed with the subject's key from the key store
(services/common/keystore.py), in one `sealed` field; a consumer opens it with
the same key before loading the contract. Once the key is forgotten, every copy
of the message (queues, retries, dead letters, the unrouted queue) holds only
ids and an unreadable blob: the consumer gets the message marked `erased`.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from marshmallow import ValidationError

from services.common.contracts import SEALED, Contract
from services.common.keystore import KeyStore
from services.common.personal import seal_with, unseal_with


def take_personal(
    contract: type[Contract], body: dict[str, Any]
) -> tuple[UUID, dict[str, Any]] | None:
    """Takes the personal fields out of `body` (dumped): their subject and
    those not None, to seal in `sealed`; None, and `sealed` set to None, when
    there are none (nothing to seal, so no key is needed)."""
    if not contract.personal:
        return None
    personal = {k: body.pop(k) for k in contract.personal if k in body}
    present = {k: v for k, v in personal.items() if v is not None}
    if not present:
        body[SEALED] = None
        return None
    return contract.subject_of(body), present


def seal_message(
    contract: type[Contract], body: dict[str, Any], keystore: KeyStore
) -> dict[str, Any]:
    """`body` (dumped) with its personal fields sealed in `sealed`.

    A subject gets a key the first time it has something to seal; one with
    nothing left (erased before this was published) gets none, so a forgotten
    key is never made again by an old event.
    """
    taken = take_personal(contract, body)
    if taken is None:
        return body
    subject, present = taken
    key = keystore.key(subject, create=True)
    assert key is not None  # created if missing
    body[SEALED] = seal_with(key, subject, present)
    return body


def open_message(
    contract: type[Contract], body: Any, keystore: KeyStore
) -> tuple[Any, bool]:
    """`body` with its sealed fields in clear, and whether they are erased.

    Raises ValidationError for a seal that does not open with its subject's
    key (altered, or moved from another message): it never will.
    """
    if not contract.personal or not isinstance(body, Mapping):
        return body, False
    sealed = body.get(SEALED)
    if not sealed:  # nothing personal in it, or published before sealing
        return body, False
    opened = {k: v for k, v in body.items() if k != SEALED}
    try:
        subject = contract.subject_of(opened)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"no data subject: {exc!r}") from exc
    key = keystore.key(subject)
    if key is None:
        return opened, True
    try:
        personal = unseal_with(key, subject, str(sealed))
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise ValidationError(f"sealed data does not open: {exc!r}") from exc
    if not isinstance(personal, dict):
        raise ValidationError("sealed data is not an object")
    known = {k: v for k, v in personal.items() if k in contract.personal}
    return {**opened, **known}, False
