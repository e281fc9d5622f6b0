"""A school's waiting lists on full sessions (EX-2)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from gateway import schemas
from gateway.api import endpoint
from gateway.http import parse_uuid
from gateway.idempotency import idempotency_key

BOOKING = "Inscription"


class WaitingListRoutes:
    """Queue a candidate on a full session, read the lines, leave one."""

    @endpoint(
        "POST",
        "/api/liste-attente",
        summary=(
            "Inscrire un candidat en liste d'attente d'une session complète : "
            "une place libérée lui est réservée dans le panier"
        ),
        tag=BOOKING,
        body=schemas.WaitingListRequest,
        response=schemas.WaitingEntry,
        status=201,
        idempotent=True,
    )
    def join_waiting_list(
        self, request: Request, data: dict[str, Any], account: dict[str, Any]
    ) -> dict[str, Any]:
        session_id = parse_uuid(data["session_id"], "Session")
        key = idempotency_key(request)
        return self.booking.join_waiting_list(
            data["neph"], session_id, idempotency_key=key
        )

    @endpoint(
        "GET",
        "/api/liste-attente",
        summary="Les candidats de l'auto-école en liste d'attente, avec leur rang",
        tag=BOOKING,
        response=schemas.WaitingEntries,
    )
    def waiting_list(self, request: Request, account: dict[str, Any]) -> dict:
        return {"items": self.booking.waiting_list()}

    @endpoint(
        "DELETE",
        "/api/liste-attente/<string:entry_id>",
        summary="Retirer un candidat de la liste d'attente",
        tag=BOOKING,
        response=schemas.WaitingEntry,
    )
    def leave_waiting_list(
        self, request: Request, entry_id: str, account: dict[str, Any]
    ) -> dict[str, Any]:
        entry_id = parse_uuid(entry_id, "Inscription")
        return self.booking.leave_waiting_list(entry_id)
