"""Settings: typed and checked when a process starts, secrets never printed, and
production fails closed (a strong secret key, a real card provider)."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from services.common.secret_keys import DEVELOPMENT_SECRET_KEY, secret_key_weakness
from services.common.settings import Settings, SettingsError

STRONG = secrets.token_urlsafe(32)
OTHER_STRONG = secrets.token_urlsafe(32)


def test_a_laptop_needs_no_setting_at_all() -> None:
    settings = Settings.from_env({})
    assert settings.development
    assert settings.postgres_port == 5432
    assert settings.card_provider == "simulator"
    assert settings.retry_delays == (1.0, 5.0, 30.0)


def test_values_are_typed_as_the_environment_gives_them() -> None:
    settings = Settings.from_env(
        {
            "POSTGRES_PORT": "6543",
            "PMC_RETRY_DELAYS": "0.2, 0.4",
            "PMC_QUORUM_QUEUES": "yes",
            "PMC_PUBLIC_URL": "https://exemple.fr/",
            "PMC_SELLER_NAME": "Auto-permis SA",
            "PMC_CLOCK_OFFSET_FILE": "",  # empty: the default
        }
    )
    assert settings.postgres_port == 6543
    assert settings.retry_delays == (0.2, 0.4)
    assert settings.quorum_queues is True
    assert settings.public_url == "https://exemple.fr"
    assert settings.company.name == "Auto-permis SA"
    assert settings.replace(smtp_port=2525).company.name == "Auto-permis SA"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("POSTGRES_PORT", "abc"),
        ("POSTGRES_PORT", "70000"),
        ("SMTP_PORT", "-1"),
        ("PMC_RPC_TIMEOUT", "0"),
        ("PMC_RETRY_DELAYS", "1,deux"),
        ("PMC_MODE", "prod"),
        ("PMC_CARD_PROVIDER", "stripe"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    message = str(refused.value)
    assert message.startswith(f"{variable}: "), message
    assert "\n" not in message


def test_secrets_never_show_in_the_settings_repr_or_errors() -> None:
    password, key = "mot-de-passe-pg-42", STRONG
    settings = Settings.from_env(
        {
            "AMQP_URI": "amqp://pmc:secret-du-courtier@rabbit:5672/pmc",
            "POSTGRES_PASSWORD": password,
            "PMC_SECRET_KEY": key,
            "PMC_CONTEXT_SECRET": OTHER_STRONG,
        }
    )
    for shown in (repr(settings), str(settings), f"{settings}"):
        for secret in ("secret-du-courtier", password, key, OTHER_STRONG):
            assert secret not in shown
    # What the code needs is still there, asked for explicitly.
    assert settings.amqp_uri.startswith("amqp://pmc:secret-du-courtier@")
    assert f"password={password}" in settings.postgres_conninfo()
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {"PMC_MODE": "production", "PMC_SECRET_KEY": "clef-trop-courte"}
        )
    assert "clef-trop-courte" not in str(refused.value)


@pytest.mark.parametrize(
    "key",
    [
        DEVELOPMENT_SECRET_KEY,
        secrets.token_hex(16),  # 16 bytes
        "a" * 100,  # long, but one character
        "0123456789abcdef" * 2,
        "0123456789abcdef" * 4,  # 64 hexadecimal characters, one pattern
        "Passermoncode2026!" * 4,
    ],
)
def test_weak_secret_keys_are_named_weak(key: str) -> None:
    assert secret_key_weakness(key)


@pytest.mark.parametrize(
    "key",
    [
        *(secrets.token_hex(32) for _ in range(20)),
        *(secrets.token_urlsafe(32) for _ in range(20)),
        secrets.token_hex(64),
        STRONG + "=",
        "x" + STRONG,
    ],
)
def test_generated_secret_keys_are_strong(key: str) -> None:
    assert secret_key_weakness(key) is None


def test_production_needs_a_strong_secret_key() -> None:
    with pytest.raises(SettingsError, match=r"^PMC_SECRET_KEY: .*unset"):
        Settings.from_env({"PMC_MODE": "production"})
    with pytest.raises(SettingsError, match=r"^PMC_SECRET_KEY: .*32 bytes"):
        Settings.from_env({"PMC_MODE": "production", "PMC_SECRET_KEY": "motdepasse"})


def test_production_needs_its_own_strong_context_secret() -> None:
    """The acting-school context of RPC calls is signed with a secret of its
    own: unset, weak or the secret key's, production does not start."""
    keyed = {"PMC_MODE": "production", "PMC_SECRET_KEY": STRONG}
    with pytest.raises(SettingsError, match=r"^PMC_CONTEXT_SECRET: .*unset"):
        Settings.from_env(keyed)
    with pytest.raises(SettingsError, match=r"^PMC_CONTEXT_SECRET: .*32 bytes"):
        Settings.from_env({**keyed, "PMC_CONTEXT_SECRET": "motdepasse"})
    with pytest.raises(SettingsError, match=r"^PMC_CONTEXT_SECRET: .*PMC_SECRET_KEY"):
        Settings.from_env({**keyed, "PMC_CONTEXT_SECRET": STRONG})


def test_production_refuses_the_card_simulator_and_unknown_providers() -> None:
    strong = {
        "PMC_MODE": "production",
        "PMC_SECRET_KEY": STRONG,
        "PMC_CONTEXT_SECRET": OTHER_STRONG,
    }
    with pytest.raises(SettingsError, match=r"^PMC_CARD_PROVIDER: .*development"):
        Settings.from_env(strong)
    with pytest.raises(SettingsError, match=r"^PMC_CARD_PROVIDER: no such card"):
        Settings.from_env({**strong, "PMC_CARD_PROVIDER": "banque-imaginaire"})


def test_production_refuses_the_tests_cheap_password_hashing() -> None:
    strong = {
        "PMC_MODE": "production",
        "PMC_SECRET_KEY": STRONG,
        "PMC_CONTEXT_SECRET": OTHER_STRONG,
        "PMC_PASSWORD_HASHING": "CHEAPEST",
    }
    with pytest.raises(SettingsError, match=r"^PMC_PASSWORD_HASHING: .*development"):
        Settings.from_env(strong)
    with pytest.raises(SettingsError, match="PMC_PASSWORD_HASHING"):
        Settings.from_env({"PMC_PASSWORD_HASHING": "MD5"})


def _pmc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmc.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [("serve", "billing"), ("serve", "gateway"), ("relay",), ("migrate",), ("up",)],
)
def test_every_process_refuses_to_start_in_production_without_a_key(
    platform_env: dict[str, str], command: tuple[str, ...]
) -> None:
    ran = _pmc({**platform_env, "PMC_MODE": "production"}, *command)
    assert ran.returncode == 2
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, ran.stderr
    assert "refusing to start: PMC_SECRET_KEY: " in lines[0]


def test_production_with_a_key_still_refuses_the_simulator(
    platform_env: dict[str, str],
) -> None:
    env = {
        **platform_env,
        "PMC_MODE": "production",
        "PMC_SECRET_KEY": STRONG,
        "PMC_CONTEXT_SECRET": OTHER_STRONG,
        "PMC_PASSWORD_HASHING": "RFC_9106_LOW_MEMORY",  # the tests' is cheaper
    }
    ran = _pmc(env, "serve", "billing")
    assert ran.returncode == 2
    assert "refusing to start: PMC_CARD_PROVIDER: " in ran.stderr
    assert STRONG not in ran.stderr + ran.stdout


def test_a_malformed_setting_stops_migrate_naming_it(
    platform_env: dict[str, str],
) -> None:
    ran = _pmc({**platform_env, "POSTGRES_PORT": "abc"}, "migrate")
    assert ran.returncode == 2
    assert "POSTGRES_PORT: " in ran.stderr
