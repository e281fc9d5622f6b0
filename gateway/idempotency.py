"""The `Idempotency-Key` request header (IETF draft "The Idempotency-Key HTTP
Header Field"): a client retrying a write with the same key gets the first
answer, and the write happens once (TR-3).

Keys are opaque to the gateway; the services scope them per school (or, for
sign-up, per e-mail address), so one school's key never meets another's.

Which writes take a key, and why:
- sign-up, candidate creation, CSV import, hold: a retry would make a second
  thing, or be refused for the first one (« adresse déjà utilisée », « NEPH
  déjà utilisé », « déjà une place réservée »);
- cancelling a paid reservation: a retry gets the first answer, where a
  second cancellation without the key is refused (« déjà annulée »);
- card and SEPA payments: the body's « cle » (kept for compatibility) or
  this header; both given must be equal;
- not the others: removing a line, changing a slot, archiving, activating,
  confirming change a state once; a retry changes nothing more (it may say
  the state changed). Signing in issues one more token, harmlessly.
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from services.common import inputs
from services.common.errors import PlatformError

HEADER = "Idempotency-Key"
MAX_LENGTH = inputs.IDEMPOTENCY_KEY.max_length  # as the services check it
# Printable ASCII without spaces or quotes; a UUID is the usual choice.
PATTERN = rf"^[!#-~]{{1,{MAX_LENGTH}}}$"
DESCRIPTION = (
    "Une clé par action de l'utilisateur (un UUID), réutilisée telle quelle pour "
    "réessayer : la même clé avec le même contenu renvoie la première réponse "
    "sans rien refaire ; avec un autre contenu, la demande est refusée (422)."
)
BAD_KEY = (
    f"L'en-tête Idempotency-Key doit contenir de 1 à {MAX_LENGTH} caractères "
    "ASCII imprimables, sans espace (un UUID par exemple)."
)
TWO_KEYS = "La clé du corps (« cle ») et l'en-tête Idempotency-Key diffèrent."


def idempotency_key(request: Request, body_key: str | None = None) -> str | None:
    """The request's key, from the header (an sf-string, quotes optional) or,
    for payments, from the body's `cle`; both given must agree."""
    raw = request.headers.get(HEADER)
    key = None
    if raw is not None:
        key = raw.strip()
        if len(key) >= 2 and key[0] == key[-1] == '"':
            key = key[1:-1]
        if not re.match(PATTERN, key):
            raise PlatformError("cle_invalide", BAD_KEY, fields={HEADER: [BAD_KEY]})
    if body_key is not None and key is not None and body_key != key:
        raise PlatformError("cle_invalide", TWO_KEYS, fields={"cle": [TWO_KEYS]})
    return key if key is not None else body_key
