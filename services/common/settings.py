"""Settings read from the environment, with defaults that work on a local machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

SERVICES: tuple[str, ...] = (
    "identity",
    "candidates",
    "scheduling",
    "booking",
    "billing",
    "notifier",
    "results",
)


def _floats(raw: str) -> tuple[float, ...]:
    return tuple(float(part) for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to know about where things are."""

    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "passermoncode"
    postgres_user: str = "postgres"
    postgres_password: str = ""
    # Connections each application keeps open, and how many more it may open
    # under load: several services, their followers and the relay share the
    # server's max_connections (100 by default).
    postgres_pool_size: int = 2
    postgres_max_overflow: int = 8
    # Prepended to every service's schema name, so that several platforms (or
    # test runs) can share one database without seeing each other's data.
    schema_prefix: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "Passer mon code <no-reply@passermoncode.fr>"
    # Where `pmc mailcatcher` (development and tests only) keeps the e-mails.
    mail_folder: str = "var/mail"
    # The postal print queue: letters (PDF) for candidates without an e-mail.
    print_folder: str = "var/print-queue"
    public_url: str = "http://localhost:8000"
    gateway_address: str = "0.0.0.0:8000"
    # Seconds a failed message waits before each new attempt; after the last it
    # is dead-lettered.
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    rpc_timeout: float = 10.0
    # Signs e-mailed links and bearer tokens. The default only suits a laptop:
    # every deployment sets its own (a Kubernetes secret).
    secret_key: str = "dev-only-secret-change-me"
    session_hours: float = 8.0
    # BI-5: the price of one seat, all taxes included, and its VAT rate.
    seat_price_cents: int = 3000
    vat_rate_percent: float = 20.0
    # BI-2: a card checkout left « en cours » (the provider failed, a process
    # stopped mid-payment) is settled with the provider after this many seconds:
    # finished if it was captured, abandoned (its seats payable again) if not.
    payment_reconcile_seconds: float = 300.0
    # Test environments only: a file holding an offset in seconds that every
    # process adds to the wall clock, so end-to-end tests can travel in time.
    clock_offset_file: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        d = cls()
        return cls(
            amqp_uri=env.get("AMQP_URI", d.amqp_uri),
            postgres_host=env.get("POSTGRES_HOST", d.postgres_host),
            postgres_port=int(env.get("POSTGRES_PORT", d.postgres_port)),
            postgres_dbname=env.get("POSTGRES_DBNAME", d.postgres_dbname),
            postgres_user=env.get("POSTGRES_USER", d.postgres_user),
            postgres_password=env.get("POSTGRES_PASSWORD", d.postgres_password),
            postgres_pool_size=int(env.get("POSTGRES_POOL_SIZE", d.postgres_pool_size)),
            postgres_max_overflow=int(
                env.get("POSTGRES_MAX_OVERFLOW", d.postgres_max_overflow)
            ),
            schema_prefix=env.get("PMC_SCHEMA_PREFIX", d.schema_prefix),
            smtp_host=env.get("SMTP_HOST", d.smtp_host),
            smtp_port=int(env.get("SMTP_PORT", d.smtp_port)),
            smtp_sender=env.get("SMTP_SENDER", d.smtp_sender),
            mail_folder=env.get("PMC_MAIL_FOLDER", d.mail_folder),
            print_folder=env.get("PMC_PRINT_FOLDER", d.print_folder),
            public_url=env.get("PMC_PUBLIC_URL", d.public_url).rstrip("/"),
            gateway_address=env.get("WEB_SERVER_ADDRESS", d.gateway_address),
            retry_delays=_floats(env["PMC_RETRY_DELAYS"])
            if env.get("PMC_RETRY_DELAYS")
            else d.retry_delays,
            rpc_timeout=float(env.get("PMC_RPC_TIMEOUT", d.rpc_timeout)),
            secret_key=env.get("PMC_SECRET_KEY", d.secret_key),
            session_hours=float(env.get("PMC_SESSION_HOURS", d.session_hours)),
            seat_price_cents=int(env.get("PMC_SEAT_PRICE_CENTS", d.seat_price_cents)),
            vat_rate_percent=float(env.get("PMC_VAT_RATE", d.vat_rate_percent)),
            payment_reconcile_seconds=float(
                env.get("PMC_PAYMENT_RECONCILE_SECONDS", d.payment_reconcile_seconds)
            ),
            clock_offset_file=env.get("PMC_CLOCK_OFFSET_FILE", d.clock_offset_file),
        )

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
        if self.postgres_password:
            parts["password"] = self.postgres_password
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def nameko_config(self) -> dict[str, object]:
        """The config dict nameko's runner expects, derived from these settings."""
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": self.gateway_address,
            "max_workers": 10,
            "parent_calls_tracked": 10,
        }
