"""The web pages: static HTML, CSS and JavaScript that call the JSON API."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from werkzeug.wrappers import Response

WEB = Path(__file__).parent / "web"

# Page path → file in gateway/web/
PAGES = {
    "/": "accueil.html",
    "/activation": "activation.html",
    "/mot-de-passe-oublie": "mot-de-passe-oublie.html",
    "/reinitialisation": "reinitialisation.html",
    "/espace": "espace.html",
    "/espace/compte": "compte.html",
    "/espace/candidats": "candidats.html",
    "/espace/inscription": "inscription.html",
    "/espace/reservations": "reservations.html",
    "/espace/paiements": "paiements.html",
    "/candidat/activation": "candidat-activation.html",
}


# The Espace client pages share one header, written once.
SPACE_HEADER_MARK = b"<!-- en-t\xc3\xaate de l'espace client -->"


def page(path: str) -> Response:
    html = (WEB / PAGES[path]).read_bytes()
    if SPACE_HEADER_MARK in html:
        header = (WEB / "_entete-espace.html").read_bytes().rstrip()
        current = f'<li><a href="{path}"'.encode()
        header = header.replace(current, current + b' aria-current="page"', 1)
        html = html.replace(SPACE_HEADER_MARK, header)
    return _response(html, "text/html")


def static(name: str) -> Response:
    target = (WEB / "static" / name).resolve()
    if not target.is_file() or (WEB / "static").resolve() not in target.parents:
        return Response("Page introuvable.", status=404, mimetype="text/plain")
    return _file(target)


def _file(path: Path) -> Response:
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return _response(path.read_bytes(), mimetype)


def _response(content: bytes, mimetype: str) -> Response:
    if mimetype.startswith("text/") or mimetype == "application/javascript":
        mimetype += "; charset=utf-8"
    response = Response(content)
    response.headers["Content-Type"] = mimetype
    response.headers["Cache-Control"] = "no-cache"
    return response
