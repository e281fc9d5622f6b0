"""The hostile-input corpus (GW-3) and what a right answer to it is: values by
kind of field, the requests built from the OpenAPI document, the check of an
answer. Used by test_hostile_inputs.py."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import requests

from services.billing.provider import APPROVED_TOKEN
from tests.e2e.conftest import PASSWORD, sign_up_payload

TIMEOUT = 60
FULL_WIDTH_NEPH = "１２３４５６７８９０１２"
ARABIC_INDIC_NEPH = "١٢٣٤٥٦٧٨٩٠١٢"

# Refused in every field, whatever it holds.
ANY_FIELD: dict[str, Any] = {
    "NUL": "Dupont\x00",
    "NUL seul": "\x00",
    "caractère de contrôle": "\x1b[31mDupont",
    "retour à la ligne": "Dupont\r\nBcc: x@example.fr",
    "RLO": "Dupont\u202etxt.exe",
    "espace de largeur nulle": "Du\u200bpont",
    "surrogate isolé": "\ud800",
    "10 000 caractères": "A" * 10_000,
    "nombre": 12345,
    "nombre énorme": 10**30,
    "flottant énorme": 1e308,
    "booléen": True,
    "liste": ["Dupont"],
    "objet imbriqué": {"a": {"b": "c"}},
}
BLANK: dict[str, Any] = {"vide": "", "espaces seuls": "   ", "null": None}
EMAIL: dict[str, Any] = {
    "e-mail émoji": "😀@example.fr",
    "e-mail accentué": "zoé@example.fr",
    "e-mail de 10 000 caractères": "a" * 10_000 + "@example.fr",
    "e-mail sans domaine": "a@b",
}
DIGITS: dict[str, Any] = {
    "chiffres pleine chasse": FULL_WIDTH_NEPH,
    "chiffres arabes-indiens": ARABIC_INDIC_NEPH,
    "lettres": "12AB",
}
SIRET: dict[str, Any] = {
    "SIRET de zéros": "00000000000000",
    "SIRET pleine chasse": "７３２８２９３２００００７４",
    "SIRET arabe-indien": "٧٣٢٨٢٩٣٢٠٠٠٠٧٤",
}
POSTAL_CODE: dict[str, Any] = {
    "code postal pleine chasse": "６９００１",
    "code postal arabe-indien": "٦٩٠٠١",
    "code postal 00000": "00000",
}
BOOLEAN: dict[str, Any] = {
    "yes": "yes",
    "1": 1,
    "true en texte": "true",
    "null": None,
    "objet": {},
}
DATE: dict[str, Any] = {
    "an 9999": "9999-12-31",
    "an 0001": "0001-01-01",
    "date pleine chasse": "２０２６-01-01",
    "30 février": "2026-02-30",
    "pas une date": "demain",
}
# A query string carries text only; over 8 KB the URL itself is refused, which
# is the web server's answer, not this corpus's (see the edge tests).
QUERY_TEXT: dict[str, str] = {
    "NUL": "a\x00b",
    "caractère de contrôle": "\x1b[31m",
    "retour à la ligne": "a\r\nb",
    "RLO": "a\u202eb",
    "espace de largeur nulle": "a\u200bb",
    "5 000 caractères": "A" * 5_000,
}
BODIES: dict[str, Any] = {
    "tableau": [],
    "texte": "x",
    "nombre": 1,
    "null": None,
}
# Not a language detector: enough to tell werkzeug's English pages from ours.
FRENCH = re.compile(
    r"[éèêàùçôî]|\b(le|la|les|l|de|d|du|des|ce|cet|cette|ces|est|sont|vous|votre"
    r"|vos|doit|une?|et|ou|pas|ne|n|en|au|aux|pour|avec|sur|introuvable)\b",
    re.IGNORECASE,
)


# -- the corpus, from the OpenAPI document --------------------------------------------


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    if "anyOf" in schema:  # apispec's nullable nested object
        return _resolve(document, schema["anyOf"][0])
    return schema


def _hostile_values(prop: dict, required: bool) -> dict[str, Any]:
    """The corpus for one field, by what the field holds."""
    if prop.get("type") == "boolean":
        return {**BOOLEAN, "texte NUL": "\x00"}
    values = dict(ANY_FIELD)
    if "anyOf" in prop or "$ref" in prop:  # an object: an object is its due
        values.pop("objet imbriqué")
    if required:
        values.update(BLANK)
    if prop.get("format") == "email":
        values.update(EMAIL)
    pattern = prop.get("pattern", "")
    if "[0-9]" in pattern and "{5}" in pattern:
        values.update(POSTAL_CODE)
    elif "{13}" in pattern:
        values.update(SIRET)
    elif "[0-9]" in pattern and "/" not in pattern and "+" not in pattern:
        values.update(DIGITS)
    return values


def _fields(document: dict, schema: dict, prefix: str = "") -> Iterator[tuple]:
    """(dotted name, property, required) of every field, nested ones included."""
    schema = _resolve(document, schema)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        inner = _resolve(document, prop)
        if inner.get("type") == "object" and "properties" in inner:
            yield f"{prefix}{name}", prop, name in required
            yield from _fields(document, inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", prop, name in required


def _with(body: dict, dotted: str, value: Any) -> dict:
    changed = {**body}
    outer, _, inner = dotted.partition(".")
    if inner:
        changed[outer] = _with(dict(changed.get(outer) or {}), inner, value)
    else:
        changed[outer] = value
    return changed


def bases(attacker: dict) -> dict[tuple[str, str], dict[str, Any]]:
    """A body or query each operation would accept (or refuse only for a reason
    of its own): the corpus changes one field of it at a time."""
    unknown = f"inconnu-{secrets.token_hex(3)}@example.fr"
    pending = attacker["pending"]
    first, second = attacker["sessions"]
    link = {"compte": str(uuid.uuid4()), "jeton": "x" * 43}
    return {
        ("post", "/api/comptes"): sign_up_payload(
            f"nouvelle-{secrets.token_hex(3)}@example.fr"
        ),
        ("post", "/api/comptes/activation"): link,
        ("post", "/api/comptes/activation/renvoi"): {"email": unknown},
        ("post", "/api/sessions"): {"email": unknown, "password": PASSWORD},
        ("post", "/api/mot-de-passe/oubli"): {"email": unknown},
        ("post", "/api/mot-de-passe/reinitialisation"): {
            **link,
            "password": "Permis2030",
        },
        # Each would change something if a hostile neighbour let it through.
        ("patch", "/api/compte"): {"last_name": "Martin", "phone": "06 98 76 54 32"},
        ("post", "/api/compte/mot-de-passe"): {
            "current_password": PASSWORD,
            "new_password": "Permis2030",
        },
        ("post", "/api/candidats"): {
            "neph": "208888888888",
            "civility": "M",
            "birth_name": "Hostile",
            "given_names": "Jean",
            "birth_date": "01/01/2004",
            "email": "hostile@example.fr",
            "address": {"street": "1 rue", "postal_code": "69001", "city": "Lyon"},
            "phone": "06 12 34 56 78",
        },
        ("post", "/api/candidats/import"): {
            "csv": "neph;civilite;nom_naissance;prenoms;date_naissance;email\r\n"
            "207777777777;M;Import;Jean;01/01/2004;import@example.fr\r\n"
        },
        ("patch", "/api/candidats/{candidate_id}/contact"): {
            "email": "nouvelle@example.fr",
            "phone": "06 11 22 33 44",
            "address": {"street": "2 rue", "postal_code": "69002", "city": "Lyon"},
        },
        ("post", "/api/candidat/dossier"): {
            "dossier": pending["id"],
            "jeton": pending["token"],
        },
        ("post", "/api/candidat/recu"): {
            "dossier": pending["id"],
            "jeton_recu": "x" * 43,
        },
        ("post", "/api/candidat/code"): {"neph": "209999999999", "code": "ABCDEFGHIJ"},
        ("post", "/api/candidat/confirmation"): {
            "dossier": pending["id"],
            "jeton": pending["token"],
            "attestation": True,
        },
        # A password the rule refuses: no variant of the others can open an
        # account or confirm the file.
        ("post", "/api/candidat/compte"): {
            "dossier": pending["id"],
            "jeton": pending["token"],
            "attestation": True,
            "mot_de_passe": "court",
        },
        ("post", "/api/candidat/sessions"): {
            "email": unknown,
            "mot_de_passe": PASSWORD,
        },
        ("post", "/api/agents/sessions"): {
            "email": unknown,
            "mot_de_passe": PASSWORD,
        },
        ("post", "/api/candidat/identite/sessions"): {
            "telephone": "06 98 00 00 00",
            "code_secret": "0000",
        },
        ("post", "/api/candidat/refus"): {
            "dossier": pending["id"],
            "jeton": pending["token"],
        },
        ("post", "/api/panier"): {"neph": attacker["free_neph"], "session": first},
        ("put", "/api/panier/{reservation_id}"): {"session": second},
        ("post", "/api/paiement/carte"): {
            "cgv": True,
            "jeton": APPROVED_TOKEN,
            "cle": f"hostile-{secrets.token_hex(4)}",
        },
        ("post", "/api/paiement/sepa"): {
            "cgv": True,
            "iban": "FR14 2004 1010 0505 0001 3M02 606",
            "bic": "PSSTFRPPLIL",
            "titulaire": "Auto-école du Centre",
            "cle": f"hostile-{secrets.token_hex(4)}",
        },
        # Queries.
        ("get", "/api/candidats"): {"recherche": "Siège"},
        ("get", "/api/reservations"): {"recherche": "Siège", "date": "2026-12-01"},
        ("get", "/api/examens/recherche"): {
            "lieu": "Lyon",
            "a_partir_du": "2026-12-01",
            "avant_le": "2027-01-01",
            "individuelle": "false",
            "pmr": "false",
        },
        ("get", "/api/inscription/candidat"): {"neph": attacker["booked_neph"]},
    }


def path_of(path: str, attacker: dict, value: str | None = None) -> str:
    real = {
        "candidate_id": attacker["pending"]["id"],
        "reservation_id": attacker["reservation_id"],
        "checkout_id": str(uuid.uuid4()),
    }
    return re.sub(
        r"\{([a-z_]+)\}",
        lambda m: value if value is not None else real.get(m[1], str(uuid.uuid4())),
        path,
    )


def cases(document: dict, attacker: dict) -> Iterator[tuple[str, ...]]:
    """(label, method, path, kind, payload) of every hostile request."""
    known = bases(attacker)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            base = known.get((method, path), {})
            body = operation.get("requestBody")
            # A CSV body (a centre's results) has its own hostile files in
            # tests/e2e/test_centre_results_api.py.
            if body is not None and "application/json" in body["content"]:
                schema = body["content"]["application/json"]["schema"]
                for dotted, prop, required in _fields(document, schema):
                    for label, value in _hostile_values(prop, required).items():
                        yield (
                            f"{method.upper()} {path} {dotted}={label}",
                            method,
                            path_of(path, attacker),
                            "json",
                            _with(base, dotted, value),
                            dotted,
                        )
                for label, value in BODIES.items():
                    yield (
                        f"{method.upper()} {path} corps={label}",
                        method,
                        path_of(path, attacker),
                        "json",
                        value,
                        None,
                    )
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    values = dict(QUERY_TEXT)
                    if parameter["schema"].get("format") == "date":
                        values.update(DATE)
                    if parameter["schema"].get("type") == "boolean":
                        values.update({"oui": "oui", "1": "1", "TRUE": "TRUE"})
                    if "[0-9]" in parameter["schema"].get("pattern", ""):
                        values.update(DIGITS)
                    for label, value in values.items():
                        yield (
                            f"{method.upper()} {path} ?{parameter['name']}={label}",
                            method,
                            path_of(path, attacker),
                            "query",
                            {**base, parameter["name"]: value},
                            parameter["name"],
                        )
                elif parameter["in"] == "path":
                    for label, value in {
                        "NUL": "%00",
                        "RLO": "%E2%80%AE",
                        "chiffres pleine chasse": FULL_WIDTH_NEPH,
                        "inconnu": str(uuid.uuid4()),
                    }.items():
                        yield (
                            f"{method.upper()} {path} {{{parameter['name']}}}={label}",
                            method,
                            path_of(path, attacker, value),
                            "json" if body is not None else "none",
                            base if body is not None else None,
                            None,
                        )


def problem(answer: requests.Response, field: str | None) -> str | None:
    """Why an answer is not a 4xx JSON error in French, or None."""
    if not 400 <= answer.status_code < 500:
        return f"status {answer.status_code}: {answer.text[:200]}"
    if not answer.headers.get("Content-Type", "").startswith("application/json"):
        return f"not JSON ({answer.headers.get('Content-Type')}): {answer.text[:200]}"
    try:
        error = answer.json()
    except ValueError:
        return f"unreadable JSON: {answer.text[:200]}"
    if error.get("status") != answer.status_code or not error.get("code"):
        return f"not the GW-3 format: {error}"
    messages = [error.get("message", "")] + [
        m for ms in (error.get("fields") or {}).values() for m in ms
    ]
    if not all(FRENCH.search(m) for m in messages):
        return f"not in French: {messages}"
    named = error.get("fields") or {}
    if (
        answer.status_code == 400
        and field is not None
        and named
        and not any(k == field or k.startswith(f"{field}.") for k in named)
    ):
        return f"the field {field} is not named: {error}"
    return None
