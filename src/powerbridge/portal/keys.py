"""The portal's own SSH key: the key its worker logs in to cluster nodes with.

Generated at first start into the portal's data dir (`portal_ed25519`, mode 0600, no
passphrase: a service has no one to ask). A cluster spec names it in `ssh.private_key` or
leaves that out; clusters get its public half through their PowerVC key pair. Kept in the
shared store, encrypted, in a later increment (several portal hosts need the same key).
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

from powerbridge.ha.identity import Identity, load_identity

__all__ = ["KEY_FILE", "portal_identity"]

KEY_FILE = "portal_ed25519"


def portal_identity(data_dir: Path) -> Identity:
    """The portal's key, generated when `data_dir` has none yet."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="powerbridge-portal")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.export_private_key())
        path.with_suffix(".pub").write_bytes(key.export_public_key())
    return load_identity(str(path), None, interactive=False)
