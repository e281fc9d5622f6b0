"""The web pages: static HTML, CSS and JavaScript that call the JSON API."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

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
    "/espace/resultats": "resultats.html",
    "/candidat/activation": "candidat-activation.html",
    "/candidat/espace": "candidat-espace.html",
    "/cgv": "cgv.html",
    "/agents/guichet": "agent-guichet.html",
    "/agents/revue": "agent-revue.html",
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


# What an e-mailed link carries. Links are written with these in the fragment
# (`/activation#compte=…&jeton=…`, see services/notifier/texts.py), which no
# server ever receives. Links e-mailed before that carried them in the query
# string; until they expire (2 h, 48 h, 7 days) they still work: the server
# answers them with a redirect that moves the query to the fragment, so the
# browser drops it, and the gateway logs only the route template, never a
# query string (gateway/observe.py). After 7 days this redirect can go.
LINK_PARAMS = ("compte", "dossier", "jeton")


def link_page(path: str, request: Request) -> Response:
    """A page opened from an e-mailed link; an old link's query goes to the
    fragment first."""
    if "jeton" not in request.args:
        return page(path)
    moved = {key: request.args[key] for key in LINK_PARAMS if key in request.args}
    response = Response(status=303)
    response.headers["Location"] = f"{path}#{urlencode(moved)}"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def static(name: str) -> Response:
    target = (WEB / "static" / name).resolve()
    if not target.is_file() or (WEB / "static").resolve() not in target.parents:
        return Response("Page introuvable.", status=404, mimetype="text/plain")
    return _file(target)


# Browser libraries installed from npm by scripts/setup.sh (pinned in
# package-lock.json) and served from the project: the map needs no internet.
NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
VENDORED = {
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
}


def vendored(name: str) -> Response:
    target = NODE_MODULES / VENDORED[name] if name in VENDORED else None
    if target is None or not target.is_file():
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
