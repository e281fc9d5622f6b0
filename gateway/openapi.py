"""The OpenAPI document of the gateway's JSON API, from the routes that
`endpoint(...)` declared (gateway/api.py)."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway import idempotency
from gateway.api import ROUTES, SAFE_METHODS, Route
from gateway.http import RETRY_AFTER
from gateway.schemas import Error


def _openapi_path(path: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)


def idempotency_parameter() -> dict[str, Any]:
    return {
        "in": "header",
        "name": idempotency.HEADER,
        "required": False,
        "description": idempotency.DESCRIPTION,
        "schema": {
            "type": "string",
            "maxLength": idempotency.MAX_LENGTH,
            "pattern": idempotency.PATTERN,
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of every declared endpoint."""
    spec = APISpec(
        title="Passer mon code",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "API des auto-écoles : comptes, candidats, réservations"},
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.security_scheme(
        "cle_centre",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "Clé d'accès d'un centre d'examen (pmc centre-key issue)",
        },
    )
    spec.components.schema("Error", schema=Error)
    error = {"content": {"application/json": {"schema": "Error"}}}
    by_path: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "responses": {
                str(route.status): {
                    "description": "Succès",
                    **(
                        {"content": {"application/json": {"schema": route.response}}}
                        if route.response
                        else {}
                    ),
                },
                "400": {"description": "Saisie incorrecte", **error},
                **edge_responses(route, error),
                "default": {"description": "Erreur", **error},
            },
        }
        for code, description in route.also:
            operation["responses"][str(code)] = {
                "description": description,
                **(
                    {"content": {"application/json": {"schema": route.response}}}
                    if route.response
                    else {}
                ),
            }
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
        if route.query is not None:
            operation["parameters"] = [{"in": "query", "schema": route.query}]
        path_params = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", route.path)
        if path_params:
            operation.setdefault("parameters", []).extend(
                {
                    "in": "path",
                    "name": name,
                    "required": True,
                    "schema": {"type": "string"},
                }
                for name in path_params
            )
        if route.idempotent:
            operation.setdefault("parameters", []).append(idempotency_parameter())
        if route.auth:
            operation["security"] = [{"bearer": []}]
            operation["responses"]["401"] = {"description": "Non authentifié", **error}
        for key, value in (route.doc or {}).items():
            if key == "responses":
                for code, response in value.items():
                    operation["responses"][code] = {**error, **response}
            else:
                operation[key] = value
        by_path.setdefault(_openapi_path(route.path), {})[route.method.lower()] = (
            operation
        )
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def edge_responses(route: Route, error: dict[str, Any]) -> dict[str, Any]:
    """What the edge may answer on any operation, besides its own refusals."""

    def retry(seconds: int) -> dict[str, Any]:
        header = {"description": "Secondes à attendre", "schema": {"type": "integer"}}
        return {"headers": {"Retry-After": {**header, "example": seconds}}}

    responses: dict[str, Any] = {
        "414": {"description": "Adresse trop longue", **error},
        "500": {"description": "Erreur inattendue", **error},
        "503": {
            "description": "Service indisponible ou surchargé : rien n'a été fait",
            **error,
            **retry(RETRY_AFTER),
        },
    }
    if route.body is not None:
        responses["413"] = {"description": "Corps trop volumineux", **error}
        responses["415"] = {"description": "Corps autre que JSON", **error}
    if route.limits:
        responses["429"] = {
            "description": "Trop de demandes en peu de temps",
            **error,
            **retry(60),
        }
    if route.method not in SAFE_METHODS and not route.repeatable:
        responses["504"] = {
            "description": "Résultat incertain : renvoyer avec la même clé "
            "d'idempotence est sans risque",
            **error,
        }
    return dict(sorted(responses.items()))
