"""Reading settings from an environment: the typed values the variables hold
(ports, delays, flags, addresses), pydantic-settings' source over a given
mapping, and the one-line description of what is wrong.

Apart from settings.py, which lists the platform's settings and checks them
together, because this is how any variable's text becomes a value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode
from pydantic_settings.sources import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars


def _floats(raw: Any) -> Any:
    if isinstance(raw, str):
        return tuple(float(part) for part in raw.split(",") if part.strip())
    return raw


def _flag(raw: Any) -> Any:
    # As before: "1", "true" or "yes" switch it on, anything else off.
    if isinstance(raw, str):
        return raw.strip().lower() in ("1", "true", "yes")
    return raw


Port = Annotated[int, Field(ge=1, le=65535)]
Positive = Annotated[float, Field(gt=0)]
Delays = Annotated[
    tuple[Annotated[float, Field(ge=0)], ...], NoDecode, BeforeValidator(_floats)
]
Flag = Annotated[bool, BeforeValidator(_flag)]
Url = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]
# host:port, for a server of ours to listen on.
Address = Annotated[str, Field(pattern=r"^[^\s:]*:[0-9]{1,5}$")]


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' own reading of environment variables, over a given
    mapping instead of os.environ (tests and `pmc` pass theirs)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self.environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self.environ,
            self.case_sensitive,
            self.env_ignore_empty,
            self.env_parse_none_str,
        )


def described(error: ValidationError) -> str:
    """One line naming each wrong variable and why, never its value (it may be
    a secret)."""
    problems = []
    for found in error.errors(include_input=False, include_url=False):
        cause = found.get("ctx", {}).get("error")
        reason = str(cause) if isinstance(cause, ValueError) else found["msg"]
        where = ".".join(str(part) for part in found["loc"])
        problems.append(f"{where}: {reason}" if where else reason)
    return "; ".join(problems)
