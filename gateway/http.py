"""JSON in and out, and the one error format of GW-3."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from services.common.errors import PlatformError

UNEXPECTED = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def error_response(error: PlatformError) -> Response:
    return json_response(error.to_dict(), status=error.status)


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise PlatformError(
            "json_invalide", "Le corps de la requête n'est pas du JSON valide."
        ) from None
    if not isinstance(body, dict):
        raise PlatformError(
            "json_invalide", "Le corps de la requête doit être un objet."
        )
    return body


def parse_uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PlatformError("introuvable", f"{what} introuvable.", status=404) from None


def download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
