"""The key store on the real PostgreSQL: keys apart, wrapped, rotated, refused."""

from __future__ import annotations

import base64
import os
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from pmc.cli import main as pmc
from services.common.db import connect
from services.common.keyring import Keyring, KeyStoreError, WrongKeyEncryptionKey
from services.common.keystore import PostgresKeyStore, keystore_conninfo
from services.common.personal import seal_with
from services.common.settings import Settings


def _kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def place(settings: Settings) -> tuple[str, str]:
    """A key store schema of this test's own."""
    return keystore_conninfo(
        settings
    ), f"{settings.schema_prefix}keys_{uuid4().hex[:8]}"


def _open(place: tuple[str, str], kek: str, previous: str = "") -> PostgresKeyStore:
    settings = Settings(key_encryption_key=kek, previous_key_encryption_keys=previous)
    return PostgresKeyStore(*place, Keyring.from_settings(settings))


def _stored(place: tuple[str, str]) -> list[tuple]:
    conninfo, schema = place
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            sql.SQL("SELECT subject_id, wrapped, wrapped_by FROM {}").format(
                sql.Identifier(schema, "subject_keys")
            )
        ).fetchall()


def test_a_subject_key_is_kept_wrapped_in_its_own_schema(place):
    store = _open(place, _kek())
    subject = uuid4()
    key = store.key(subject, create=True)
    assert key is not None and len(key) == 32
    assert store.key(subject) == key
    assert store.key(subject, create=True) == key  # never replaced
    ((stored_subject, wrapped, wrapped_by),) = _stored(place)
    assert stored_subject == subject
    assert key not in bytes(wrapped)  # only the wrapped key is stored
    assert wrapped_by == store.keyring.current_id
    store.close()


def test_a_forgotten_key_is_gone_and_is_not_made_again_by_reading(place):
    store = _open(place, _kek())
    subject = uuid4()
    store.key(subject, create=True)
    store.forget(subject)
    assert store.key(subject) is None
    assert store.keys([subject]) == {}
    assert _stored(place) == []
    store.close()


def test_a_wrong_key_encryption_key_is_refused_when_the_store_opens(place):
    _open(place, _kek()).key(uuid4(), create=True)
    with pytest.raises(WrongKeyEncryptionKey, match="PMC_KEY_ENCRYPTION_KEY"):
        _open(place, _kek())


def test_a_key_moved_to_another_subject_does_not_open(place):
    store = _open(place, _kek())
    first, second = uuid4(), uuid4()
    store.key(first, create=True)
    store.key(second, create=True)
    conninfo, schema = place
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {t} SET wrapped ="
                " (SELECT wrapped FROM {t} WHERE subject_id = %s)"
                " WHERE subject_id = %s"
            ).format(t=sql.Identifier(schema, "subject_keys")),
            (first, second),
        )
    with pytest.raises(WrongKeyEncryptionKey, match="moved from another subject"):
        store.key(second)
    store.close()


def test_rotation_rewraps_every_key_under_the_new_kek(place):
    old, new = _kek(), _kek()
    before = _open(place, old)
    subjects = [uuid4() for _ in range(7)]
    keys = {s: before.key(s, create=True) for s in subjects}
    before.close()
    # The new KEK, with the old one still readable while the rotation runs.
    during = _open(place, new, previous=old)
    assert during.keys(subjects) == keys
    assert during.rotate(batch=3) == 7
    assert during.rotate() == 0
    during.close()
    after = _open(place, new)  # the old KEK is no longer needed
    assert after.keys(subjects) == keys
    assert {row[2] for row in _stored(place)} == {after.keyring.current_id}
    after.close()
    with pytest.raises(WrongKeyEncryptionKey):
        _open(place, old)


def test_a_malformed_kek_names_its_variable():
    for raw in ("short", base64.b64encode(b"x" * 16).decode(), "not base64 !"):
        with pytest.raises(KeyStoreError, match="PMC_KEY_ENCRYPTION_KEY must be"):
            Keyring.from_settings(Settings(key_encryption_key=raw))


def test_outside_development_a_kek_is_required():
    production = Settings()
    # The mode setting (PMC_MODE) may not exist yet: set as it will be read.
    object.__setattr__(production, "mode", "production")
    with pytest.raises(KeyStoreError, match="PMC_KEY_ENCRYPTION_KEY is not set"):
        Keyring.from_settings(production)


def test_pmc_keys_rotate_and_check(settings, monkeypatch, capsys):
    old, new = _kek(), _kek()
    schema = f"keys_{uuid4().hex[:8]}"  # prefixed by PMC_SCHEMA_PREFIX
    monkeypatch.setenv("PMC_KEYSTORE_SCHEMA", schema)
    monkeypatch.setenv("PMC_KEY_ENCRYPTION_KEY", old)
    store = _open((keystore_conninfo(settings), settings.schema(schema)), old)
    subject = uuid4()
    key = store.key(subject, create=True)
    store.close()

    monkeypatch.setenv("PMC_KEY_ENCRYPTION_KEY", new)
    assert pmc(["keys", "check"]) == 2
    assert "PMC_PREVIOUS_KEY_ENCRYPTION_KEYS" in capsys.readouterr().err
    monkeypatch.setenv("PMC_PREVIOUS_KEY_ENCRYPTION_KEYS", old)
    assert pmc(["keys", "rotate"]) == 0
    assert "1 subject key(s) re-wrapped" in capsys.readouterr().out
    monkeypatch.delenv("PMC_PREVIOUS_KEY_ENCRYPTION_KEYS")
    assert pmc(["keys", "check"]) == 0
    store = _open((keystore_conninfo(settings), settings.schema(schema)), new)
    assert store.key(subject) == key
    store.close()


def test_keys_kept_beside_the_data_move_to_the_key_store(platform_env):
    from services.notifier.application import NotifierApplication

    # Schemas of its own, under the run's prefix (removed with the run's).
    prefix = f"{Settings.from_env().schema_prefix}legacy{uuid4().hex[:6]}_"
    env = {**platform_env, "PMC_SCHEMA_PREFIX": prefix}
    settings = Settings.from_env(env)
    schema = settings.schema("notifier")
    subject, key = uuid4(), os.urandom(32)
    sealed = seal_with(key, subject, {"nom": "Durand"})
    with connect(settings) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (subject_id uuid PRIMARY KEY, key bytea NOT NULL)"
            ).format(sql.Identifier(schema, "personal_keys")),
        )
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(
                sql.Identifier(schema, "personal_keys")
            ),
            (subject, key),
        )
    app = NotifierApplication(settings=settings)
    try:
        assert app.vault.unseal(subject, sealed) == {"nom": "Durand"}
        with connect(settings) as conn:
            found = conn.execute(
                "SELECT to_regclass(%s)", (f"{schema}.personal_keys",)
            ).fetchone()
        assert found == (None,)  # no key left beside the data
        app.vault.forget(subject)
        assert app.vault.unseal(subject, sealed) is None
    finally:
        app.close()


def test_pmc_mode_outside_development_requires_a_kek():
    # Unchecked copy: production settings also need a real card provider,
    # which does not exist yet (tests/common/test_settings.py).
    production = Settings().model_copy(update={"mode": "production"})
    with pytest.raises(KeyStoreError, match="outside development mode"):
        Keyring.from_settings(production)


def test_a_batch_of_new_subjects_gets_its_keys_at_once_and_keeps_the_old(place):
    store = _open(place, _kek())
    old, new, other = uuid4(), uuid4(), uuid4()
    old_key = store.key(old, create=True)
    made = store.made([old, new, new])
    assert set(made) == {old, new}
    assert made[old] == old_key  # an existing key is never replaced
    assert store.key(new) == made[new]  # stored, wrapped, read back the same
    assert store.key(other) is None  # only the subjects asked for
    assert store.made([]) == {}
    store.close()


def test_a_batch_makes_no_key_again_for_a_subject_erased_meanwhile(place):
    store = _open(place, _kek())
    kept, erased, school = uuid4(), uuid4(), uuid4()
    for subject in (kept, erased):
        store.key(subject, create=True, owner="candidates")
    found = store.of_owners([kept, erased, school], ["candidates", "bus"])
    assert set(found) == {(kept, "candidates"), (erased, "candidates")}
    store.forget(erased)  # after the relay read its data, before it sealed
    made = store.made(
        [kept, erased, school], guarded={kept, erased}, kept_by="candidates"
    )
    # The school is not guarded (it has no key of the service's to lose).
    assert set(made) == {kept, school}
    assert store.key(erased) is None
    assert store.key(kept) == made[kept]
    store.close()


def test_the_key_store_works_through_a_role_of_its_own(settings, place):
    """Its own credentials (PMC_KEYSTORE_DSN): a role that owns the key store's
    schema, may not create schemas, and reads nothing of the services'."""
    role = f"pmc_keys_{uuid4().hex[:8]}"
    _, schema = place
    data = f"{schema}_data"  # a service's schema, which the role is not granted
    with connect(settings) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(data)))
        admin.execute(
            sql.SQL("CREATE TABLE {} (personal text)").format(
                sql.Identifier(data, "events")
            )
        )
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                sql.Identifier(schema), sql.Identifier(role)
            )
        )
    try:
        conninfo = " ".join(
            f"user={role}" if part.startswith("user=") else part
            for part in keystore_conninfo(settings).split()
        )
        store = _open((conninfo, schema), _kek())
        subject = uuid4()
        key = store.key(subject, create=True)
        assert store.key(subject) == key
        with (
            psycopg.connect(conninfo) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(
                sql.SQL("SELECT * FROM {}").format(sql.Identifier(data, "events"))
            )
        store.close()
    finally:
        with connect(settings) as admin:
            for name in (schema, data):
                admin.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(name)
                    )
                )
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
