"""Secret keys: the development defaults and how strong a production key must be.

Apart from the settings' fields because the rule (entropy estimated from the
alphabet and bounded by compression) is a piece of its own, checked by the
settings when a process starts and tested on its own."""

from __future__ import annotations

import math
import string
import zlib

# Signs links and bearer tokens on a laptop; refused in production.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"
# Signs the acting-school context of RPC calls on a laptop; refused in production.
DEVELOPMENT_CONTEXT_SECRET = "dev-only-context-secret-change-me"
# 32 bytes: what `secrets.token_urlsafe(32)` or `openssl rand -hex 32` give.
SECRET_KEY_BITS = 256
# zlib's header, checksum and block headers, in bytes: not the key's entropy.
_ZLIB_OVERHEAD = 11
SECRET_KEY_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def secret_key_weakness(key: str, default: str = DEVELOPMENT_SECRET_KEY) -> str | None:
    """Why `key` cannot sign tokens in production, or None if it is strong.

    Its entropy is estimated as its length times the bits of the smallest
    alphabet it is drawn from (hexadecimal, base64, printable ASCII), and
    bounded by what remains of it compressed: a repeated pattern is refused
    whatever its length."""
    if key == default:
        return "it is unset (the development default)"
    body = key.rstrip("=")
    alphabets = (
        (string.hexdigits, 16),
        (string.ascii_letters + string.digits + "+/-_", 64),
        (string.printable.strip(), 95),
    )
    size = next((n for chars, n in alphabets if set(body) <= set(chars)), 256)
    bits = len(body) * math.log2(size)
    # A repeated pattern compresses well: what remains bounds its entropy.
    compressed = (len(zlib.compress(body.encode())) - _ZLIB_OVERHEAD) * 8
    if min(bits, compressed) < SECRET_KEY_BITS:
        return f"it holds less than {SECRET_KEY_BITS // 8} bytes of entropy"
    return None
