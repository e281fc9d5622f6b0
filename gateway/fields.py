"""Fields of the JSON API under the one input policy (services.common.inputs):
each checks, cleans and declares in the OpenAPI document (maxLength, pattern)
what its value may be; messages are French."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields

from services.common import inputs

FR = {
    "required": "Ce champ est obligatoire.",
    "null": "Ce champ est obligatoire.",
    "invalid": "Cette valeur n'est pas valide.",
    "type": "Cette valeur n'est pas valide.",
}


class Text(fields.String):
    """A text field under the input policy (NFC, no control character, a length).

    With `screen_only`, the field's form (pattern, key) is left to the service
    that receives it, so that one answer names every wrong field; the gateway
    still refuses what no service may receive (a NUL, 10,000 characters…).
    """

    def __init__(
        self,
        rule: inputs.Rule,
        *,
        required: bool = True,
        screen_only: bool = False,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.rule = rule
        self.screen_only = screen_only
        super().__init__(
            required=required,
            error_messages=FR,
            metadata={**rule.openapi(), **(metadata or {})},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        try:
            if self.screen_only:
                return self.rule.screen(value)
            return self.rule.clean(value, required=self.required)
        except inputs.InputError as exc:
            raise ValidationError(str(exc)) from None


def text(rule: inputs.Rule, required: bool = True, **kwargs: Any) -> Text:
    """A field the gateway checks in full (nothing behind it checks it again)."""
    return Text(rule, required=required, **kwargs)


def checked(rule: inputs.Rule, required: bool = True, **kwargs: Any) -> Text:
    """A field the receiving service checks in full, with the others."""
    return Text(rule, required=required, screen_only=True, **kwargs)


class WholeNumber(fields.Integer):
    """A whole number typed with the digits 0 to 9 (a JSON integer, or its
    text in a query string): « ١٠٠ » or « 1e3 » are refused, not read."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(FR["invalid"])
        try:
            return inputs.whole_number(
                str(value) if isinstance(value, int) else value, 0, 10**12 - 1
            )
        except inputs.InputError as exc:
            raise ValidationError(str(exc)) from None


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "on" do not accept the terms."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise ValidationError("Cette valeur doit être true ou false.")


class QueryBoolean(fields.Boolean):
    """A query-string flag: `true` or `false`, nothing else."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError("Cette valeur doit être true ou false.")


class Day(fields.Date):
    """AAAA-MM-JJ in ASCII digits, within the years the platform can mean."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        try:
            return inputs.day(value)
        except inputs.InputError as exc:
            raise ValidationError(str(exc)) from None


def boolean(**kwargs: Any) -> StrictBoolean:
    return StrictBoolean(required=True, error_messages=FR, **kwargs)
