"""The card simulator's hosted fields: where, in development, the payment page
hands the card number and gets back an opaque token (`pmc card-simulator`).

It stands for a real provider's servers, outside the platform: the number goes
from the browser to here and nowhere else; the gateway, billing, their
messages and their logs see only the token. Nothing here logs a request body.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.billing.provider import InvalidCardNumber, SimulatedCardProvider

# A card number is at most a few dozen bytes; anything much bigger is refused
# before it is read.
MAX_BODY = 1024
NOT_A_NUMBER = "Le numéro de carte n'est pas valide."

log = logging.getLogger(__name__)


def _answer(status: int, body: dict[str, Any] | None) -> Response:
    response = Response(
        None if body is None else json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype=None if body is None else "application/json",
    )
    # Called by the payment page from the platform's own origin, as a real
    # provider's tokenisation API is; it takes nothing but a card number.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Cache-Control"] = "no-store"
    return response


def _number(request: Request) -> str:
    """The card number in the body ({"numero": "…"}); InvalidCardNumber if
    there is none."""
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError):
        raise InvalidCardNumber from None
    number = body.get("numero") if isinstance(body, dict) else None
    if not isinstance(number, str):
        raise InvalidCardNumber
    return number


class HostedFields:
    """The WSGI application: POST /jetons {"numero": "4242 …"} → {"jeton": …}."""

    def __init__(self, provider: SimulatedCardProvider) -> None:
        self.provider = provider

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            response = self.dispatch(request)
        except RequestEntityTooLarge:
            response = _answer(413, {"message": NOT_A_NUMBER})
        except HTTPException as error:
            response = _answer(error.code or 400, {"message": NOT_A_NUMBER})
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path != "/jetons":
            return _answer(404, {"message": "Introuvable."})
        if request.method == "OPTIONS":
            return _answer(204, None)
        if request.method != "POST":
            return _answer(405, {"message": "Méthode non permise."})
        if (request.content_length or 0) > MAX_BODY:
            raise RequestEntityTooLarge
        try:
            token = self.provider.tokenise(_number(request))
        except InvalidCardNumber as refused:
            return _answer(400, {"message": str(refused), "champs": ["numero"]})
        return _answer(201, {"jeton": token})
