"""A private certificate authority and a server certificate for `--tls`.

`ensure_certificates(directory, host)` keeps four PEM files in `directory`: the CA certificate
(`ca.pem`, what clients pass as `--os-cacert` / `OS_CACERT`), its key, and a server
certificate and key for the emulator's host. A restart reuses them, so a CA a user already
trusts stays valid; the server certificate alone is renewed when it no longer covers the host
or is close to expiry. Private keys are written with mode 0600.

The certificates follow the X.509 profile strict verifiers require (Python 3.13's
`VERIFY_X509_STRICT`, Go, browsers): a CA with key usage and a subject key identifier, a leaf
with subject alternative names, the server-auth extended key usage and an authority key
identifier.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from powerbridge.emulator.files import write_atomically

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
SERVER_CERT = "server.pem"
SERVER_KEY = "server-key.pem"
CA_DAYS = 3650
SERVER_DAYS = 825  # the longest lifetime Apple platforms accept for a server certificate
RENEW_BEFORE = datetime.timedelta(days=30)
KEY_BITS = 2048
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}  # listen everywhere; never a name to connect to

Name = x509.DNSName | x509.IPAddress


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


def ensure_certificates(directory: Path, host: str) -> TlsFiles:
    """Create (or reuse) the CA and a server certificate valid for `host` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _certificate_authority(directory)
    files = TlsFiles(directory / CA_CERT, directory / SERVER_CERT, directory / SERVER_KEY)
    names = subject_names(host)
    if not _server_certificate_usable(files, ca_cert, names):
        cert, key = _issue_server_certificate(ca_cert, ca_key, names)
        _write_key(files.key, key)
        write_atomically(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def subject_names(host: str) -> list[Name]:
    """The names a server certificate must cover: the host first, then the loopback names."""
    # listening everywhere: the machine's own name reaches it too
    own = socket.gethostname() if host in WILDCARD_HOSTS else host.strip("[]")
    names = [own, "localhost", "127.0.0.1", "::1"]
    unique: dict[str, Name] = {}
    for name in names:
        unique.setdefault(name.lower(), _general_name(name))
    return list(unique.values())


def _general_name(name: str) -> Name:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


# -- the authority ----------------------------------------------------------------------------
def _certificate_authority(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    loaded = _load_authority(directory)
    if loaded is not None:
        return loaded
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "powerbridge"),
            # a unique name: two emulator CAs in one trust store must not shadow each other
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"powerbridge emulator CA {secrets.token_hex(4)}"
            ),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(directory / CA_KEY, key)
    write_atomically(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_authority(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        # keys we wrote ourselves: skip the slow RSA self-check; the public keys are compared
        key = serialization.load_pem_private_key(
            (directory / CA_KEY).read_bytes(), None, unsafe_skip_rsa_key_validation=True
        )
    except (OSError, ValueError):
        return None  # missing or damaged: make a new authority
    if not isinstance(key, rsa.RSAPrivateKey) or cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return None
    if cert.public_key() != key.public_key():
        return None
    return cert, key


# -- the server certificate -------------------------------------------------------------------
def _server_certificate_usable(
    files: TlsFiles, ca_cert: x509.Certificate, names: list[Name]
) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        key = serialization.load_pem_private_key(
            files.key.read_bytes(), None, unsafe_skip_rsa_key_validation=True
        )
        cert.verify_directly_issued_by(ca_cert)
        covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    if cert.public_key() != key.public_key():
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return False
    return all(name in covered for name in names)


def _issue_server_certificate(
    ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey, names: list[Name]
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    first = names[0].value  # the host itself names the certificate
    now = _now()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(first))]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


# -- files ------------------------------------------------------------------------------------
def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(path, pem, mode=0o600)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
