"""Settings read from the environment (pydantic-settings), with defaults that work
on a local machine.

Every value is typed and checked when a process starts: a bad one stops it
with a line naming the variable (`SettingsError`). Secrets are `SecretStr`:
the settings' repr, and so any log line or traceback that prints them, shows
stars. Outside development mode (`PMC_MODE`, the default on a laptop, `pmc
up` and the tests; the image and the manifests say `production`) the
platform fails closed: no start without a strong `PMC_SECRET_KEY` and a
strong, different `PMC_CONTEXT_SECRET`, nor with the card provider's simulator.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.company import Company
from services.common.secret_keys import (
    DEVELOPMENT_CONTEXT_SECRET,
    DEVELOPMENT_SECRET_KEY,
    SECRET_KEY_HINT,
    secret_key_weakness,
)
from services.common.settings_reading import (
    Address,
    Delays,
    EnvironmentSource,
    Flag,
    Port,
    Positive,
    Url,
    described,
)

SERVICES: tuple[str, ...] = (
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
    "results",
)

DEVELOPMENT = "development"
PRODUCTION = "production"
# The card providers the platform can talk to. The simulator plays a real
# provider's test mode, hosted fields included (services/billing/provider.py);
# no real one is integrated yet, so production has none and does not start.
SIMULATOR = "simulator"
CARD_PROVIDERS: tuple[str, ...] = (SIMULATOR,)


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe: the process must not start."""


class Settings(BaseSettings):
    """Everything a process needs to know about where things are."""

    model_config = SettingsConfigDict(
        frozen=True,
        populate_by_name=True,
        case_sensitive=True,
        # An empty variable is an unset one (`FOO=` in a shell, a blank
        # ConfigMap entry): its default applies, as it always did here.
        env_ignore_empty=True,
        extra="ignore",
    )

    # development: a laptop, `pmc up`, the tests; production: a deployment.
    mode: Literal["development", "production"] = Field(
        DEVELOPMENT, validation_alias="PMC_MODE"
    )
    # Holds the broker's password: read it through `amqp_uri`.
    amqp_uri_secret: SecretStr = Field(
        SecretStr("amqp://guest:guest@127.0.0.1:5672/"), validation_alias="AMQP_URI"
    )
    postgres_host: str = Field("127.0.0.1", validation_alias="POSTGRES_HOST")
    postgres_port: Port = Field(5432, validation_alias="POSTGRES_PORT")
    postgres_dbname: str = Field("passermoncode", validation_alias="POSTGRES_DBNAME")
    postgres_user: str = Field("postgres", validation_alias="POSTGRES_USER")
    postgres_password: SecretStr = Field(
        SecretStr(""), validation_alias="POSTGRES_PASSWORD"
    )
    # Connections each application keeps open, and how many more it may open
    # under load: several services, their followers and the relay share the
    # server's max_connections (100 by default).
    postgres_pool_size: int = Field(2, ge=1, validation_alias="POSTGRES_POOL_SIZE")
    postgres_max_overflow: int = Field(
        8, ge=0, validation_alias="POSTGRES_MAX_OVERFLOW"
    )
    # Prepended to every service's schema name, so that several platforms (or
    # test runs) can share one database without seeing each other's data.
    schema_prefix: str = Field("", validation_alias="PMC_SCHEMA_PREFIX")
    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: Port = Field(1025, validation_alias="SMTP_PORT")
    smtp_sender: str = Field(
        "Passer mon code <no-reply@passermoncode.fr>", validation_alias="SMTP_SENDER"
    )
    # Where `pmc mailcatcher` (development and tests only) keeps the e-mails.
    mail_folder: str = Field("var/mail", validation_alias="PMC_MAIL_FOLDER")
    # Where the SMS catcher (development and tests only) keeps each SMS.
    sms_folder: str = Field("var/sms", validation_alias="PMC_SMS_FOLDER")
    # Where the registered e-letter simulator (development and tests only)
    # keeps each letter (services/notifier/registered_letters.py).
    registered_letter_folder: str = Field(
        "var/lettres-recommandees", validation_alias="PMC_REGISTERED_LETTER_FOLDER"
    )
    # The postal print queue: letters (PDF) for candidates without an e-mail.
    print_folder: str = Field("var/print-queue", validation_alias="PMC_PRINT_FOLDER")
    public_url: Url = Field("http://localhost:8000", validation_alias="PMC_PUBLIC_URL")
    gateway_address: str = Field("0.0.0.0:8000", validation_alias="WEB_SERVER_ADDRESS")
    # Seconds a failed message waits before each new attempt; after the last it
    # is dead-lettered.
    retry_delays: Delays = Field((1.0, 5.0, 30.0), validation_alias="PMC_RETRY_DELAYS")
    # Event queues (with their retry and dead-letter queues) as quorum queues,
    # replicated over a RabbitMQ cluster's nodes. A queue keeps the type it was
    # first declared with: switching needs a new virtual host (or the queues
    # deleted once drained).
    quorum_queues: Flag = Field(False, validation_alias="PMC_QUORUM_QUEUES")
    rpc_timeout: Positive = Field(10.0, validation_alias="PMC_RPC_TIMEOUT")
    # Rate limits (gateway/limits.py), counted by every gateway replica alike.
    # Each route anyone may call, per client address and minute:
    limit_per_address: int = Field(
        60, ge=1, validation_alias="PMC_LIMIT_PER_ADDRESS_PER_MINUTE"
    )
    # E-mails asked for one address (sign-up, reset, new link), per hour:
    limit_mails_per_email: int = Field(
        5, ge=1, validation_alias="PMC_LIMIT_MAILS_PER_EMAIL_PER_HOUR"
    )
    # Failed sign-ins to one account from one client address per quarter of
    # an hour; then that address waits (the owner elsewhere does not).
    limit_sign_in_failures: int = Field(
        5, ge=1, validation_alias="PMC_LIMIT_SIGN_IN_FAILURES"
    )
    # Per school and hour: payments tried, files created one by one, CSV
    # imports, links sent again.
    limit_payments_per_school: int = Field(
        30, ge=1, validation_alias="PMC_LIMIT_PAYMENTS_PER_SCHOOL_PER_HOUR"
    )
    limit_files_per_school: int = Field(
        300, ge=1, validation_alias="PMC_LIMIT_FILES_PER_SCHOOL_PER_HOUR"
    )
    limit_imports_per_school: int = Field(
        20, ge=1, validation_alias="PMC_LIMIT_IMPORTS_PER_SCHOOL_PER_HOUR"
    )
    limit_resends_per_school: int = Field(
        60, ge=1, validation_alias="PMC_LIMIT_RESENDS_PER_SCHOOL_PER_HOUR"
    )
    # Caps on the seats one school holds (issue 12, booking): unpaid lines in
    # its cart at once, and its share of one session's seats, held or paid,
    # in percent, rounded up (33: 6 of a room's 18, 1 of an individual
    # site's 1 or 2), so that one school cannot take a whole session.
    holds_per_school: int = Field(50, ge=1, validation_alias="PMC_HOLDS_PER_SCHOOL")
    holds_session_percent: int = Field(
        33, ge=1, le=100, validation_alias="PMC_HOLDS_PER_SESSION_PERCENT"
    )
    # How long a seat freed on a full session stays held in the cart of the
    # school first in its waiting list (EX-2, booking) before it passes on.
    waiting_list_offer_minutes: int = Field(
        120, ge=1, le=1440, validation_alias="PMC_WAITING_LIST_OFFER_MINUTES"
    )
    # Failed sign-ins to one account, from any address, within an hour that
    # get its owner one e-mail (issue 12); 0: no e-mail.
    sign_in_alert_failures: int = Field(
        10, ge=0, validation_alias="PMC_SIGN_IN_ALERT_FAILURES"
    )
    # The account routes (sign-up, sign-in, reset, new link, activation)
    # answer no sooner than this: longer than the slowest of them takes on a
    # busy gateway (an argon2 hash, a write), so their timing tells nobody
    # whether an account has an address.
    steady_answer_seconds: float = Field(
        0.4, ge=0, le=5, validation_alias="PMC_STEADY_ANSWER_SECONDS"
    )
    # Argon2id's cost for passwords and secret codes (argon2-cffi's profiles):
    # RFC 9106's low-memory one (64 MiB, 3 passes, 4 lanes: about 0.2 s of
    # CPU a hash). CHEAPEST is for tests, whose thousands of sign-ups would
    # spend minutes hashing; production refuses it.
    password_hashing: Literal["RFC_9106_LOW_MEMORY", "CHEAPEST"] = Field(
        "RFC_9106_LOW_MEMORY", validation_alias="PMC_PASSWORD_HASHING"
    )
    # Proxies in front of the gateway that append to X-Forwarded-For (1 behind
    # the ingress); 0 trusts no such header.
    trusted_proxy_hops: int = Field(
        0, ge=0, le=5, validation_alias="PMC_TRUSTED_PROXY_HOPS"
    )
    # Signs e-mailed links and bearer tokens. The default only suits a laptop:
    # every deployment sets its own (a Kubernetes secret); production refuses
    # to start without a strong one.
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET_KEY), validation_alias="PMC_SECRET_KEY"
    )
    # Signs the acting-school context the gateway gives every RPC of a
    # signed-in school's request (services/common/acting.py); the services
    # check it. Its own secret, shared by the gateway and the services only.
    context_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_CONTEXT_SECRET), validation_alias="PMC_CONTEXT_SECRET"
    )
    session_hours: Positive = Field(8.0, validation_alias="PMC_SESSION_HOURS")
    # The key store (services/common/keystore.py): its schema (prefixed like
    # the services'), its own connection (empty: the platform's server and
    # role), and the key-encryption key that wraps every subject key. Kept
    # as text for their callers, out of the settings' repr.
    keystore_schema: str = Field("keystore", validation_alias="PMC_KEYSTORE_SCHEMA")
    keystore_dsn: str = Field("", repr=False, validation_alias="PMC_KEYSTORE_DSN")
    key_encryption_key: str = Field(
        "", repr=False, validation_alias="PMC_KEY_ENCRYPTION_KEY"
    )
    previous_key_encryption_keys: str = Field(
        "", repr=False, validation_alias="PMC_PREVIOUS_KEY_ENCRYPTION_KEYS"
    )
    # BI-5: the price of one seat, all taxes included, and its VAT rate.
    seat_price_cents: int = Field(3000, ge=0, validation_alias="PMC_SEAT_PRICE_CENTS")
    vat_rate_percent: float = Field(20.0, ge=0, le=100, validation_alias="PMC_VAT_RATE")
    # BI-2: a card checkout left « en cours » (the provider failed, a process
    # stopped mid-payment) is settled with the provider after this many seconds:
    # finished if it was captured, abandoned (its seats payable again) if not.
    payment_reconcile_seconds: float = Field(
        300.0, ge=0, validation_alias="PMC_PAYMENT_RECONCILE_SECONDS"
    )
    # ID-7: how often identity looks for digital-identity requests whose
    # deadline passed (15 days at the post office, 48 working hours online,
    # the carrier's day) and ends them, so the user is told without looking.
    identity_deadline_sweep_seconds: Positive = Field(
        60.0, validation_alias="PMC_IDENTITY_DEADLINE_SWEEP_SECONDS"
    )
    # EX-3: how often booking looks for exams two days away whose candidate
    # is not reminded yet (each reminded once, whatever the replicas).
    reminder_sweep_seconds: Positive = Field(
        60.0, validation_alias="PMC_REMINDER_SWEEP_SECONDS"
    )
    # RE-1: how often results releases those 24 hours past their exam.
    results_release_sweep_seconds: Positive = Field(
        60.0, validation_alias="PMC_RESULTS_RELEASE_SWEEP_SECONDS"
    )
    # BI-1: a school whose SEPA debit came back pays by card only until the
    # back office lifts it (`pmc sepa-lift`); off, SEPA stays open to it.
    sepa_card_only_after_return: bool = Field(
        True, validation_alias="PMC_SEPA_CARD_ONLY_AFTER_RETURN"
    )
    # Who charges cards (CARD_PROVIDERS); the simulator in development only.
    card_provider: str = Field(SIMULATOR, validation_alias="PMC_CARD_PROVIDER")
    # Where the simulator's hosted fields listen (`pmc card-simulator`): the
    # page hands them the card number and gets back a token, so the number
    # never reaches the platform.
    card_simulator_address: Address = Field(
        "127.0.0.1:8001", validation_alias="PMC_CARD_SIMULATOR_ADDRESS"
    )
    # SC-3: the search shows centres this close to the chosen town, unless the
    # user widens it.
    search_radius_km: Positive = Field(100.0, validation_alias="PMC_SEARCH_RADIUS_KM")
    # Test environments only: a file holding an offset in seconds that every
    # process adds to the wall clock, so end-to-end tests can travel in time.
    clock_offset_file: str = Field("", validation_alias="PMC_CLOCK_OFFSET_FILE")
    # Retention (README, « Données personnelles »): refused and archived
    # candidate files are erased this many days after they ended; letters
    # left in the print queue are deleted this many days after they were
    # written; dead letters expire from their queues after this many days.
    candidate_retention_days: Positive = Field(
        365.0, validation_alias="PMC_CANDIDATE_RETENTION_DAYS"
    )
    letter_retention_days: Positive = Field(
        30.0, validation_alias="PMC_LETTER_RETENTION_DAYS"
    )
    dead_letter_retention_days: Positive = Field(
        14.0, validation_alias="PMC_DEAD_LETTER_RETENTION_DAYS"
    )
    # The seller on invoices and the sender of letters (PMC_SELLER_*).
    company: Company = Field(default_factory=Company)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: Any,
        *others: Any,
        **named: Any,
    ) -> tuple[Any, ...]:
        # `from_env` reads the environment it is given (os.environ by default)
        # and passes what it found: no other source, no .env file.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings `environ` (default: this process's environment) gives;
        SettingsError, naming the variable, if one is wrong or unsafe."""
        env = os.environ if environ is None else environ
        return _read(cls, frozenset(env.items()))

    @classmethod
    def _checked(cls, values: Mapping[str, Any]) -> Settings:
        try:
            return cls(**values)
        except ValidationError as error:
            raise SettingsError(described(error)) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` (field names), checked as a new one is."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return self._checked({**fields, **changes})

    @model_validator(mode="after")
    def _fails_closed(self) -> Settings:
        if self.card_provider not in CARD_PROVIDERS:
            raise ValueError(
                f"PMC_CARD_PROVIDER: no such card provider {self.card_provider!r}"
                f" (known: {', '.join(CARD_PROVIDERS)})"
            )
        if self.mode == DEVELOPMENT:
            return self
        weakness = secret_key_weakness(self.secret_key.get_secret_value())
        if weakness:
            raise ValueError(
                f"PMC_SECRET_KEY: production needs a strong secret key and {weakness}"
                f"; generate one with {SECRET_KEY_HINT}"
            )
        self._context_secret_is_strong()
        if self.password_hashing == "CHEAPEST":
            raise ValueError(
                "PMC_PASSWORD_HASHING: CHEAPEST makes passwords quick to guess "
                "and only runs with PMC_MODE=development"
            )
        if self.card_provider == SIMULATOR:
            raise ValueError(
                "PMC_CARD_PROVIDER: the card simulator approves test cards for "
                "free and only runs with PMC_MODE=development; production needs "
                "a real card provider"
            )
        return self

    def _context_secret_is_strong(self) -> None:
        context = self.context_secret.get_secret_value()
        weakness = secret_key_weakness(context, DEVELOPMENT_CONTEXT_SECRET)
        if weakness is None and context == self.secret_key.get_secret_value():
            weakness = "it is PMC_SECRET_KEY (each secret signs its own things)"
        if weakness:
            raise ValueError(
                "PMC_CONTEXT_SECRET: production needs a strong secret for the "
                f"acting-school context and {weakness}; generate one with "
                f"{SECRET_KEY_HINT}"
            )

    @property
    def development(self) -> bool:
        return self.mode == DEVELOPMENT

    @property
    def amqp_uri(self) -> str:
        """The broker's address, password included: for connecting, not printing."""
        return self.amqp_uri_secret.get_secret_value()

    @property
    def card_simulator_url(self) -> str:
        """Where a browser on this machine reaches the simulator's hosted fields."""
        host, _, port = self.card_simulator_address.rpartition(":")
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    def schema(self, service: str) -> str:
        """The PostgreSQL schema that belongs to one service alone."""
        return f"{self.schema_prefix}{service}"

    def postgres_conninfo(self) -> str:
        parts = {
            "host": self.postgres_host,
            "port": str(self.postgres_port),
            "dbname": self.postgres_dbname,
            "user": self.postgres_user,
        }
        password = self.postgres_password.get_secret_value()
        if password:
            parts["password"] = password
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def nameko_config(self) -> dict[str, object]:
        """The config dict nameko's runner expects, derived from these settings."""
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": self.gateway_address,
            "max_workers": 10,
            "parent_calls_tracked": 10,
        }


@functools.lru_cache(maxsize=64)
def _read(cls: type[Settings], environ: frozenset[tuple[str, str]]) -> Settings:
    # Reading takes milliseconds and some callers read per request: the same
    # environment gives the same (immutable) settings.
    env = dict(environ)
    values = EnvironmentSource(cls, env)()
    values["company"] = Company.from_env(env)
    return cls._checked(values)
