"""`pmc keys`: the key store's key-encryption key (services/common/keystore.py).

Rotation: set the new KEK in PMC_KEY_ENCRYPTION_KEY and the old one in
PMC_PREVIOUS_KEY_ENCRYPTION_KEYS (services read keys wrapped by either),
run `pmc keys rotate`, then drop the old one from the environment.
"""

from __future__ import annotations

import argparse
import sys

from services.common.keyring import Keyring, KeyStoreError
from services.common.keystore import PostgresKeyStore, keystore_conninfo
from services.common.settings import Settings


def keys(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        store = PostgresKeyStore(
            keystore_conninfo(settings),
            settings.schema(settings.keystore_schema),
            Keyring.from_settings(settings),
        )
    except KeyStoreError as exc:
        print(f"key store: {exc}", file=sys.stderr)
        return 2
    try:
        current = store.keyring.current_id
        if args.action == "rotate":
            count = store.rotate()
            print(f"{count} subject key(s) re-wrapped by key-encryption key {current}")
        else:
            print(f"every subject key opens; current key-encryption key {current}")
    finally:
        store.close()
    return 0
