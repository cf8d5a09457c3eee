"""The portal's secret key: what it encrypts the secrets it keeps in the shared store with.

The session tokens and the jobs' application credential secrets are stored as Fernet
tokens (`cryptography`: AES-128-CBC with an HMAC-SHA256, authenticated), so a copy of the
job store alone gives no one a way into PowerVC. The key is a file of the data dir
(`portal.key`, mode 0600), made at the first start; every portal process and worker on the
store needs the same file (several hosts: copy it, as you would a TLS key). The key is not
kept in the store beside what it protects.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["KEY_FILE", "Cipher", "CipherError", "portal_cipher"]

KEY_FILE = "portal.key"


class CipherError(Exception):
    """A stored secret this key cannot open (another portal's key, or altered)."""


class Cipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "Cipher(<key>)"

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as problem:
            raise CipherError(
                "a stored secret does not open with this portal's key"
                f" ({type(problem).__name__}): every portal on the store needs the same"
                f" {KEY_FILE}"
            ) from None


def portal_cipher(data_dir: Path) -> Cipher:
    """The key of `data_dir`, made when there is none yet (two processes starting at once
    make one: the second reads the first's)."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # written whole under another name, then linked: a reader never sees half a key
        draft = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: that one is the key
        finally:
            draft.unlink()
    key = path.read_bytes().strip()
    try:
        return Cipher(key)
    except ValueError:
        raise CipherError(f"{path} is not a Fernet key (32 url-safe base64 bytes)") from None
