"""The portal's own SSH key: the key its workers log in to cluster nodes with.

One key for every portal on the job store (table `portal_ssh_keys`, schema 5), so whichever
worker takes a job over reaches the nodes another portal built. The private half is kept
sealed with the portal's secret key (cipher.py): a copy of the store alone logs in nowhere.
The first portal to start makes it (ed25519, no passphrase: a service has no one to ask);
a portal starting at the same moment loses the insert on the primary key and reads the
winner's. A key file `portal_ed25519` in the data dir (where releases before schema 5 kept
it) is imported instead of making a new one, once: a store holding a key reads no file.

Clusters the portal creates get the public half through cloud-config user data
(`ha.create.CreateOptions.authorized_keys`), besides the key pair the spec names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncssh
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from powerbridge.ha.identity import Identity, IdentityError, nova_fingerprint
from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import portal_ssh_keys
from powerbridge.portal.cipher import Cipher, CipherError

__all__ = ["KEY_NAME", "LEGACY_KEY_FILE", "SOURCE", "portal_identity"]

KEY_NAME = "portal"  # the row: one key for the store
LEGACY_KEY_FILE = "portal_ed25519"  # the data dir's key before schema 5, imported once
SOURCE = "the portal's key (job store)"
COMMENT = "powerbridge-portal"
_table = portal_ssh_keys


@dataclass(frozen=True)
class _NewKey:
    key: asyncssh.SSHKey
    origin: str  # "generated", or the file it came from


def portal_identity(store: JobStore, cipher: Cipher, data_dir: Path) -> Identity:
    """The store's key, made (or imported from `data_dir`) when the store has none yet.

    Raises CipherError when the stored key does not open with `cipher` (another portal's
    `portal.key`), IdentityError when the legacy file or the stored key is not a key."""
    row = _stored(store)
    if row is None:
        _insert(store, cipher, _first_key(data_dir))
        row = _stored(store)
        assert row is not None  # inserted, or the winner's read
    return _identity(row, cipher)


def _stored(store: JobStore) -> sa.RowMapping | None:
    with store.engine.connect() as db:
        query = sa.select(_table).where(_table.c.name == KEY_NAME)
        return db.execute(query).mappings().first()


def _first_key(data_dir: Path) -> _NewKey:
    legacy = data_dir / LEGACY_KEY_FILE
    if not legacy.exists():
        return _NewKey(asyncssh.generate_private_key("ssh-ed25519", comment=COMMENT), "generated")
    try:
        key = asyncssh.import_private_key(legacy.read_bytes())
    except (asyncssh.KeyImportError, OSError) as problem:
        raise IdentityError(
            f"{legacy} cannot be imported into the job store ({problem}): move it away, and"
            " the portal makes a new key"
        ) from None
    return _NewKey(key, f"imported from {legacy}")


def _insert(store: JobStore, cipher: Cipher, new: _NewKey) -> None:
    sealed = cipher.seal(bytes(new.key.export_private_key()).decode("ascii"))
    values = {
        "name": KEY_NAME,
        "public_key": _public_line(new.key),
        "private_key": sealed,
        "origin": new.origin,
        "created_at": datetime.now(UTC),
    }
    try:
        with store.engine.begin() as db:
            db.execute(_table.insert().values(**values))
    except IntegrityError:
        pass  # another portal inserted its key first: that one is the store's


def _identity(row: sa.RowMapping, cipher: Cipher) -> Identity:
    try:
        key = asyncssh.import_private_key(cipher.open(row["private_key"]))
    except asyncssh.KeyImportError as problem:
        raise IdentityError(f"the job store's portal SSH key is not a key ({problem})") from None
    except CipherError as problem:
        raise CipherError(f"the job store's portal SSH key: {problem}") from None
    public = _public_line(key)
    return Identity(
        source=SOURCE, public_key=public, fingerprint=nova_fingerprint(public), client_keys=(key,)
    )


def _public_line(key: asyncssh.SSHKey) -> str:
    """`<type> <base64>` (no comment), as nova stores it and cloud-init writes it."""
    return " ".join(bytes(key.export_public_key()).decode("ascii").split()[:2])
