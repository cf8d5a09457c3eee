"""Nova key pairs: SSH public keys (or x509 certificates) a user keeps for new servers.

A key pair belongs to a user (not a project), named uniquely per user. Created without a public
key, one is generated as nova does (RSA 2048: an OpenSSH public key, or a self-signed x509
certificate for `x509`) and the private key is returned once, never stored. Fingerprints are
nova's: MD5 of the key blob for SSH keys, SHA-1 of the DER certificate for x509, colon-hex.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import string
from dataclasses import asdict, dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found

KEY_TYPES = ("ssh", "x509")
MAX_PER_USER = 100  # nova's default key_pairs quota
SAFE_CHARACTERS = frozenset("_- " + string.digits + string.ascii_letters)


@dataclass
class Keypair:
    id: int  # nova's integer row id
    name: str
    user_id: str
    type: str
    public_key: str
    fingerprint: str
    created_at: float

    @property
    def key(self) -> str:
        return f"{self.user_id}/{self.name}"


def invalid_keypair(reason: str) -> ApiError:
    return bad_request(f"Keypair data is invalid: {reason}")


def keypair_not_found(name: str, user_id: str) -> ApiError:
    return not_found(f"Keypair {name} not found for user {user_id}")


class KeypairBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.keypairs: dict[str, Keypair] = {}
        for body in ctx.store.load("keypair"):
            keypair = Keypair(**body)
            self.keypairs[keypair.key] = keypair
        # row ids are never reused, as a database sequence's are not
        stored = ctx.store.get_meta("keypair_next_id")
        highest = max((k.id for k in self.keypairs.values()), default=0)
        self._next_id = max(int(stored or 0), highest + 1)

    def list_keypairs(self, user_id: str) -> list[Keypair]:
        """A user's key pairs, in creation order (nova pages them by name from 2.35)."""
        return sorted(
            (k for k in self.keypairs.values() if k.user_id == user_id), key=lambda k: k.id
        )

    def get(self, user_id: str, name: str) -> Keypair:
        found = self.keypairs.get(f"{user_id}/{name}")
        if found is None:
            raise keypair_not_found(name, user_id)
        return found

    def count(self, user_id: str) -> int:
        return sum(1 for k in self.keypairs.values() if k.user_id == user_id)

    def create(
        self,
        user_id: str,
        name: str,
        *,
        key_type: str = "ssh",
        public_key: str | None = None,
        limit: int = MAX_PER_USER,
    ) -> tuple[Keypair, str | None]:
        """Import `public_key`, or generate a pair; return it and the private key (or None).
        `limit` is the user's key_pairs quota (-1: unlimited)."""
        check_name(name)
        if key_type not in KEY_TYPES:
            raise invalid_keypair(f"Specified Keypair type '{key_type}' is invalid")
        if limit != -1 and self.count(user_id) >= limit:
            raise forbidden("Quota exceeded, too many key pairs.")
        if f"{user_id}/{name}" in self.keypairs:
            raise conflict(f"Key pair '{name}' already exists.")
        private_key: str | None = None
        if public_key is None:
            private_key, public_key = generate(key_type, user_id)
        fingerprint = fingerprint_of(key_type, public_key)
        keypair = Keypair(
            id=self._next_id,
            name=name,
            user_id=user_id,
            type=key_type,
            public_key=public_key,
            fingerprint=fingerprint,
            created_at=self.ctx.clock.now(),
        )
        self._next_id += 1
        self.ctx.store.set_meta("keypair_next_id", str(self._next_id))
        self.keypairs[keypair.key] = keypair
        self.ctx.store.put("keypair", keypair.key, asdict(keypair))
        return keypair, private_key

    def delete(self, user_id: str, name: str) -> None:
        keypair = self.get(user_id, name)
        del self.keypairs[keypair.key]
        self.ctx.store.delete("keypair", keypair.key)


def check_name(name: str) -> None:
    """nova's key pair name rule before 2.92: 1-255 letters, digits, `_`, `-` and spaces."""
    if any(character not in SAFE_CHARACTERS for character in name):
        raise invalid_keypair("Keypair name contains unsafe characters")
    if not 1 <= len(name) <= 255:
        raise invalid_keypair("Keypair name must be string and between 1 and 255 characters long")


def fingerprint_of(key_type: str, public_key: str) -> str:
    try:
        if key_type == "x509":
            certificate = x509.load_pem_x509_certificate(public_key.encode())
            digest = certificate.fingerprint(hashes.SHA1())
        else:
            serialization.load_ssh_public_key(public_key.strip().encode())
            blob = base64.b64decode(public_key.split()[1])
            # nova's fingerprint of an SSH key: an MD5 that names the key, it protects nothing
            digest = hashlib.md5(blob, usedforsecurity=False).digest()
    except (ValueError, IndexError, TypeError, binascii.Error, UnicodeError):
        reason = "failed to generate fingerprint"
        raise invalid_keypair(reason) from None
    return ":".join(f"{byte:02x}" for byte in digest)


def generate(key_type: str, user_id: str) -> tuple[str, str]:
    """(private key PEM, public key): an OpenSSH key, or a self-signed x509 certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    if key_type == "ssh":
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return private, public.decode() + " Generated-by-Nova"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id or "nova")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return private, certificate.public_bytes(serialization.Encoding.PEM).decode()
