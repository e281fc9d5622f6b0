"""JSON in and out, and the one error format of GW-3."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from services.common.errors import PlatformError

# Seconds a 503 asks the client to wait before trying again (Retry-After).
RETRY_AFTER = 5

UNEXPECTED = "Une erreur inattendue est survenue. Veuillez réessayer plus tard."

# No request of the API nests deeper than a few levels; a hostile one nesting
# thousands would exhaust the parser's recursion (a 500).
MAX_DEPTH = 20
# A string (its escapes included) or one bracket: what nesting depth counts.
_DEPTH_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def error_response(error: PlatformError) -> Response:
    return json_response(error.to_dict(), status=error.status)


def refusal(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str | int] | None = None,
) -> Response:
    """An answer in the one error format, with its headers (Retry-After…)."""
    response = json_response(
        {"status": status, "code": code, "message": message}, status
    )
    for name, value in (headers or {}).items():
        response.headers[name] = str(value)
    return response


def too_large(limit: int) -> Response:
    return error_response(body_too_large(limit))


def body_too_large(limit: int) -> PlatformError:
    size = (
        f"{limit // (1024 * 1024)} Mo"
        if limit >= 1024 * 1024
        else f"{limit // 1024} Ko"
    )
    return PlatformError(
        "corps_trop_volumineux",
        f"Le corps de la requête est trop volumineux ({size} au maximum).",
        status=413,
    )


def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) beyond `limit` bytes: on its declared length
    before reading, and while reading a chunked one."""
    length = request.content_length
    if length is not None and length > limit:
        raise body_too_large(limit)
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if length is None and not chunked:
        return b""
    # eventlet's input stops at Content-Length and decodes chunks itself.
    data = request.environ["wsgi.input"].read(limit + 1 if chunked else length)
    if len(data) > limit:
        raise body_too_large(limit)
    return data


def has_body(request: Request) -> bool:
    return bool(request.content_length) or "Transfer-Encoding" in request.headers


def nesting_depth(text: str, limit: int) -> int:
    """How deep arrays and objects nest in a JSON text, without recursion;
    counting stops past `limit`."""
    depth = deepest = 0
    for match in _DEPTH_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif token in "]}":
            depth -= 1
    return deepest


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object: JSON only, at most `limit` bytes, nesting at
    most MAX_DEPTH levels."""
    if has_body(request) and request.mimetype != "application/json":
        raise PlatformError(
            "type_non_supporte",
            "Le corps de la requête doit être du JSON "
            "(en-tête Content-Type: application/json).",
            status=415,
        )
    raw = read_body(request, limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlatformError(
            "json_invalide", "Le corps de la requête doit être encodé en UTF-8."
        ) from None
    if nesting_depth(text, MAX_DEPTH) > MAX_DEPTH:
        raise PlatformError(
            "json_trop_imbrique",
            f"Le corps de la requête est trop imbriqué ({MAX_DEPTH} niveaux au "
            "maximum).",
        )
    try:
        body = json.loads(text or "null", parse_constant=_no_constants)
    except ValueError:
        raise PlatformError(
            "json_invalide", "Le corps de la requête n'est pas du JSON valide."
        ) from None
    if not isinstance(body, dict):
        raise PlatformError(
            "json_invalide", "Le corps de la requête doit être un objet."
        )
    if _has_lone_surrogate(body):
        # "\ud800" is valid JSON but no text: it cannot be stored nor printed.
        raise PlatformError(
            "json_invalide", "Le corps de la requête contient des caractères invalides."
        )
    return body


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def parse_uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PlatformError("introuvable", f"{what} introuvable.", status=404) from None


def download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
