"""What every integration event's contract is made of: the base schema, personal
and sealed fields, and the compiled dump the relay uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.personal import school_subject

# The field that carries a message's personal fields, sealed with the key of
# its data subject (services/common/sealing.py).
SEALED = "sealed"


class Contract(Schema):
    """Base of every integration event schema."""

    event_type: ClassVar[str]
    version: ClassVar[int]
    # Fields never on the bus in clear: sealed with the key of the subject
    # named by `subject_field` (a person, an account), opened by the consumer;
    # None once that key is forgotten.
    personal: ClassVar[tuple[str, ...]] = ()
    subject_field: ClassVar[str] = ""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    @classmethod
    def subject_of(cls, data: Mapping[str, Any]) -> UUID:
        """Whose key seals this message's personal fields."""
        value = data[cls.subject_field]
        return value if isinstance(value, UUID) else UUID(str(value))


def sealed_field() -> fields.Field:
    return fields.String(load_default=None, allow_none=True)


def personal_field(
    field: type[fields.Field] = fields.String, **kw: Any
) -> fields.Field:
    """A personal field: absent in clear on the bus, None once erased."""
    return field(load_default=None, allow_none=True, **kw)


NEPH = fields.String(required=True, validate=validate.Regexp(r"^\d{12}$"))


class Address(Schema):
    class Meta:
        unknown = EXCLUDE

    street = fields.String(required=True)
    postal_code = fields.String(required=True)
    city = fields.String(required=True)


class ToTheSchool(Contract):
    """A message whose personal fields are for the school (its address, which
    of its files): sealed with the school's key, not the candidate's, which
    may be forgotten by then."""

    @classmethod
    def subject_of(cls, data: Mapping[str, Any]) -> UUID:
        return school_subject(str(data["school_id"]))


Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]


def _value_dumper(field: fields.Field) -> Callable[[Any], Any]:
    """What `field` turns a value into, as its schema's `dump` would."""
    if isinstance(field, fields.Nested):
        dump = dumper(field.nested)  # type: ignore[arg-type]
    elif isinstance(field, fields.List):
        one = _value_dumper(field.inner)
        dump = lambda values: [one(v) for v in values]  # noqa: E731
    elif isinstance(field, fields.DateTime):
        dump = _isoformat
    elif isinstance(field, fields.String | fields.UUID):
        dump = str
    elif isinstance(field, fields.Integer):
        dump = int
    elif isinstance(field, fields.Dict):
        dump = dict  # plain JSON values, as stored in the event
    else:
        raise TypeError(f"no fast dump for {type(field).__name__}")
    return lambda value: None if value is None else dump(value)


def _isoformat(value: Any) -> str:
    return value.isoformat()


def dumper(schema: type[Schema]) -> Dumper:
    """`schema().dump`, compiled once: the relay dumps thousands of events a
    second, and a marshmallow schema costs more to build than the rest of the
    work. Only the field kinds contracts use are known; tests/contracts checks
    both give the same output for every producer."""
    declared = schema._declared_fields.items()
    if any(f.data_key or f.attribute for _, f in declared):
        raise TypeError(f"{schema.__name__}: renamed fields are not compiled")
    steps = [(name, _value_dumper(f)) for name, f in declared if not f.load_only]

    def dump(data: Mapping[str, Any]) -> dict[str, Any]:
        # Like marshmallow, a field absent from the data is absent from the dump.
        return {name: step(data[name]) for name, step in steps if name in data}

    return dump
