"""Errors that cross a service boundary and reach a user, in one shape (GW-3)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nameko.exceptions import deserialize_to_instance

# TR-3: a 503 means "not done", whoever says it (the gateway, or a service
# whose own dependency did not answer before it did anything).
NOT_DONE = (
    "Le service est momentanément indisponible : votre demande n'a pas été "
    "effectuée. Veuillez réessayer dans quelques instants."
)
# ... and a 504 "maybe done".
UNCERTAIN = (
    "Résultat incertain : le service n'a pas répondu à temps et votre demande a "
    "peut-être été effectuée. Vérifiez avant de recommencer ; la renvoyer avec la "
    "même clé d'idempotence (en-tête Idempotency-Key) est sans risque : elle ne "
    "sera pas effectuée deux fois."
)


@deserialize_to_instance
class PlatformError(Exception):
    """An error a user can act on: HTTP status, code, French message, field messages.

    Raised by a service's RPC method, it travels to the gateway as itself: nameko
    rebuilds it from its single string argument, which is its JSON form.
    """

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        *,
        status: int = 400,
        fields: Mapping[str, list[str]] | None = None,
    ) -> None:
        if code is not None and message == "" and code.startswith("{"):
            data = json.loads(code)
            code, message = data["code"], data["message"]
            status, fields = data["status"], data.get("fields")
        self.code = code or "erreur"
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        super().__init__(json.dumps(self.to_dict(), ensure_ascii=False))

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.fields:
            body["fields"] = self.fields
        return body


class AlreadyProcessed(Exception):
    """A message's tracking record exists: it was handled before, skip it."""
