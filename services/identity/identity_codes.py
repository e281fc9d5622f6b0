"""The codes of a digital identity (ID-7): the 6 digits a letter or the post
office's counter asks for, the 3 a candidate pronounces in the online check's
video. Each is derived from a nonce kept in the identity's events, keyed with
the platform's secret, and never stored itself.

Apart from digital_identity.py, the state machine, because the aggregate only
keeps the nonces: the application derives the codes, for the letters it
sends and for what a candidate or an agent types."""

from __future__ import annotations

import hashlib
from uuid import UUID

from services.common.links import LinkTokens

POST_OFFICE_PURPOSE = "digital-identity-post-office"
ACTIVATION_PURPOSE = "digital-identity-activation"
VIDEO_PURPOSE = "digital-identity-video"


def identity_code(
    links: LinkTokens, purpose: str, identity_id: UUID, nonce: str
) -> str:
    """The 6 digits a nonce stands for (keyed: only the platform knows)."""
    token = links.token(purpose, identity_id, nonce)
    number = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big")
    return f"{number % 1_000_000:06d}"


def video_digits(links: LinkTokens, identity_id: UUID, nonce: str) -> str:
    """The 3 digits to pronounce in the online check's video: told by the
    registered e-letter, shown to the reviewer who compares."""
    return identity_code(links, VIDEO_PURPOSE, identity_id, nonce)[-3:]
