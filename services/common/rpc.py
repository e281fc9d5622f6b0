"""Turning domain and validation errors into PlatformError at the RPC boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import ValidationError
from nameko.rpc import rpc as nameko_rpc

from services.common.errors import PlatformError

F = TypeVar("F", bound=Callable[..., Any])

INVALID_INPUT = "Certaines informations saisies sont incorrectes."


def as_platform_errors(mapping: dict[type[Exception], tuple[int, str]]) -> Callable:
    """Decorator for an RPC method: known errors become PlatformError.

    `mapping` maps an exception class to (HTTP status, code). The exception's
    text is the French message; an exception with a `fields` dict reports
    per-field messages.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except ValidationError as exc:
                raise PlatformError(
                    "donnees_invalides",
                    INVALID_INPUT,
                    status=400,
                    fields=_field_messages(exc.normalized_messages()),
                ) from None
            except tuple(mapping) as exc:
                status, code = next(v for k, v in mapping.items() if isinstance(exc, k))
                fields = getattr(exc, "fields", None)
                message = INVALID_INPUT if fields else str(exc)
                raise PlatformError(
                    code,
                    message,
                    status=status,
                    fields={
                        k: v if isinstance(v, list) else [v]
                        for k, v in (fields or {}).items()
                    },
                ) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def _field_messages(messages: Any) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {
            str(k): v if isinstance(v, list) else [str(v)] for k, v in messages.items()
        }
    return {"_schema": [str(messages)]}


def rpc(fn: F) -> F:
    """A nameko RPC entrypoint whose PlatformErrors are answers to the caller
    (« complet », a wrong field…), logged as expected, not as failures."""
    return nameko_rpc(expected_exceptions=(PlatformError,))(fn)
