"""The signed acting-school context: on whose behalf an RPC acts.

The gateway checks a school's bearer token, then signs the school's id with
the request's deadline (HMAC-SHA256, PMC_CONTEXT_SECRET) and carries it in
the call's context data, which nameko passes on to every nested call of the
same request. A school-bound method (`services.common.rpc.school_rpc`) acts
for the school this context names and for no other: a caller's argument is
never believed, so nothing else on the bus can act as a school.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from services.common.errors import PlatformError

# The key of nameko's context data (an AMQP header "nameko.acting_school").
ACTING_SCHOOL = "acting_school"
# The services' clocks may run this far behind or ahead of the gateway's.
CLOCK_SKEW_SECONDS = 2.0
# What the MAC covers starts with this: a signature made for anything else
# with the same secret is never an acting-school context.
_PURPOSE = b"pmc-acting-school-v1\n"

INVALID_CONTEXT = (
    "Accès refusé : cette demande ne porte pas l'identité vérifiée d'une "
    "auto-école. Reconnectez-vous puis réessayez."
)


def sign(school_id: str, expires_at: float, secret: str) -> str:
    """The context of `school_id`, valid until `expires_at` (Unix seconds)."""
    expiry = str(int(expires_at * 1000))
    return f"{school_id}.{expiry}.{_mac(school_id, expiry, secret)}"


def verify(context: object, secret: str, now: float | None = None) -> str:
    """The school a context names, if it was signed with `secret` and has not
    expired; otherwise a 403 `contexte_invalide`."""
    if not isinstance(context, str) or context.count(".") < 2:
        raise refused()
    school_id, expiry, mac = context.rsplit(".", 2)
    if not school_id or not expiry.isascii() or not expiry.isdigit():
        raise refused()
    if not hmac.compare_digest(mac.encode(), _mac(school_id, expiry, secret).encode()):
        raise refused()
    moment = time.time() if now is None else now
    if int(expiry) / 1000 + CLOCK_SKEW_SECONDS < moment:
        raise refused()
    return school_id


def refused() -> PlatformError:
    return PlatformError("contexte_invalide", INVALID_CONTEXT, status=403)


def _mac(school_id: str, expiry: str, secret: str) -> str:
    message = _PURPOSE + f"{school_id}\n{expiry}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
