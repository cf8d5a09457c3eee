"""Which private key the HA workflow logs in to the nodes with.

Order (issue 15): `--ssh-key FILE`, else the spec's `ssh.private_key`, else the keys of the
ssh-agent when `SSH_AUTH_SOCK` is set, else `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`. The
identity also carries the public half as nova wants it (to create the key pair) and nova's
fingerprint of it (MD5, colon hex), so the plan can check an existing pair against the key.

    IdentityError            one line naming the problem and the way out
     +-- PassphraseRequired  an encrypted key and no terminal to ask on
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import getpass
import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

__all__ = [
    "DEFAULT_KEY_FILES",
    "Identity",
    "IdentityError",
    "PassphraseRequired",
    "load_identity",
    "nova_fingerprint",
]

DEFAULT_KEY_FILES = ("id_ed25519", "id_ecdsa", "id_rsa")
PASSPHRASE_TRIES = 3


class IdentityError(Exception):
    """No usable private key; the message names the problem and the fix."""


class PassphraseRequired(IdentityError):
    """A passphrase-protected key where no terminal can ask for its passphrase."""


@dataclass(frozen=True, eq=False)
class Identity:
    """The key(s) asyncssh logs in with: `client_keys` from a file, or `agent_path`'s keys.

    `public_key` is the OpenSSH line of the key used (the agent's first key), `public_keys`
    every key the identity offers; `fingerprint` is nova's fingerprint of `public_key`."""

    source: str
    public_key: str
    fingerprint: str
    client_keys: tuple[asyncssh.SSHKey, ...] = ()
    agent_path: str | None = None
    public_keys: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.public_keys:
            object.__setattr__(self, "public_keys", (self.public_key,))

    def matches(self, fingerprint: str) -> bool:
        """Whether a nova key pair with `fingerprint` holds one of this identity's keys."""
        wanted = fingerprint.strip().lower()
        return any(nova_fingerprint(line) == wanted for line in self.public_keys)


def nova_fingerprint(public_key_line: str) -> str:
    """nova's fingerprint of an OpenSSH public key: MD5 of the key blob, colon hex."""
    fields = public_key_line.split()
    try:
        asyncssh.import_public_key(public_key_line.strip())
        blob = base64.b64decode(fields[1], validate=True)
    except (asyncssh.KeyImportError, IndexError, binascii.Error, ValueError):
        raise IdentityError(
            f"not an OpenSSH public key: {public_key_line[:40]!r}"
            " (expected 'ssh-ed25519 AAAA...' as in a .pub file)"
        ) from None
    # nova's fingerprint format (an MD5 of the key blob): a name for the key, not a protection
    digest = hashlib.md5(blob, usedforsecurity=False).digest()
    return ":".join(f"{byte:02x}" for byte in digest)


def load_identity(
    spec_key: str | None,
    cli_key: str | None,
    *,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
    interactive: bool | None = None,
    passphrase: Callable[[str], str] | None = None,
) -> Identity:
    """The identity to log in with, in the documented order (see the module docstring).

    `interactive` None: whether standard input is a terminal. `passphrase` asks for an
    encrypted key's passphrase given a prompt (None: `getpass` when interactive)."""
    home = home or Path(env.get("HOME") or Path.home())
    asking = sys.stdin.isatty() if interactive is None else interactive
    ask = passphrase or (getpass.getpass if asking else None)
    if cli_key:
        return _from_file(_expand(cli_key, home), "--ssh-key", ask)
    if spec_key:
        return _from_file(_expand(spec_key, home), "the spec's ssh.private_key", ask)
    agent_problem = ""
    socket_path = env.get("SSH_AUTH_SOCK")
    if socket_path:
        found, agent_problem = _from_agent(socket_path)
        if found is not None:
            return found
    for name in DEFAULT_KEY_FILES:
        path = home / ".ssh" / name
        if path.exists():
            return _from_file(path, "default", ask, shown=f"~/.ssh/{name}")
    raise IdentityError(
        "no SSH key to log in to the nodes with: pass --ssh-key FILE, set ssh.private_key in"
        f" the spec, load a key into ssh-agent{agent_problem}, or create ~/.ssh/id_ed25519"
        " (ssh-keygen -t ed25519)"
    )


def _expand(path: str, home: Path) -> Path:
    if path == "~" or path.startswith("~/"):
        return home / path[2:]
    return Path(path)


def _from_file(
    path: Path, given_by: str, ask: Callable[[str], str] | None, *, shown: str | None = None
) -> Identity:
    shown = shown or str(path)
    key = _read_key(path, shown, given_by, ask)
    public = _public_line(key)
    return Identity(
        source=f"key file {shown}",
        public_key=public,
        fingerprint=nova_fingerprint(public),
        client_keys=(key,),
    )


def _read_key(
    path: Path, shown: str, given_by: str, ask: Callable[[str], str] | None
) -> asyncssh.SSHKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problem = f"SSH key {shown} ({given_by}) does not exist: check the path"
        raise IdentityError(problem) from None
    except OSError as problem:
        raise IdentityError(
            f"SSH key {shown} cannot be read ({problem.strerror}): check its owner and mode"
        ) from None
    try:
        return asyncssh.import_private_key(data)
    except asyncssh.KeyImportError as problem:
        if "Passphrase must be specified" not in str(problem):
            raise IdentityError(
                f"{shown} is not an SSH private key ({problem}): name the private key file,"
                " not the .pub"
            ) from None
    return _decrypt(data, shown, ask)


def _decrypt(data: bytes, shown: str, ask: Callable[[str], str] | None) -> asyncssh.SSHKey:
    if ask is None:
        raise PassphraseRequired(
            f"SSH key {shown} is passphrase-protected and no terminal can ask for it: load it"
            f" into ssh-agent (ssh-add {shown}), or run where a terminal can ask, or pass an"
            " unencrypted key with --ssh-key FILE"
        )
    for _ in range(PASSPHRASE_TRIES):
        try:
            return asyncssh.import_private_key(data, ask(f"Enter passphrase for {shown}: "))
        except asyncssh.KeyEncryptionError as problem:  # a missing KDF, not a wrong word
            raise IdentityError(
                f"cannot decrypt {shown}: {problem}; load it into ssh-agent (ssh-add {shown})"
                " or pip install bcrypt"
            ) from None
        except asyncssh.KeyImportError:
            continue
    raise IdentityError(f"wrong passphrase for SSH key {shown} ({PASSPHRASE_TRIES} tries)")


def _public_line(key: asyncssh.SSHKey | asyncssh.SSHKeyPair) -> str:
    """`<type> <base64>` (no comment): what nova stores and fingerprints."""
    if isinstance(key, asyncssh.SSHKey):
        return " ".join(bytes(key.export_public_key()).decode().split()[:2])
    blob = base64.b64encode(key.key_public_data).decode()  # the key, not a certificate
    return f"{key.key_algorithm.decode()} {blob}"


def _from_agent(socket_path: str) -> tuple[Identity | None, str]:
    """The agent's identity, or None and why it is not used (for the final message)."""
    try:
        lines = _agent_public_keys(socket_path)
    except (OSError, asyncssh.Error, ValueError) as problem:
        return None, f" (SSH_AUTH_SOCK={socket_path} does not answer: {problem})"
    if not lines:
        return None, " (the agent at SSH_AUTH_SOCK holds no keys: ssh-add FILE)"
    identity = Identity(
        source="ssh-agent",
        public_key=lines[0],
        fingerprint=nova_fingerprint(lines[0]),
        agent_path=socket_path,
        public_keys=tuple(lines),
    )
    return identity, ""


def _agent_public_keys(socket_path: str) -> list[str]:
    """The agent's public keys; asked in a thread of its own, so this works whether or not
    the caller is inside an event loop."""

    async def ask() -> list[str]:
        agent = asyncssh.SSHAgentClient(socket_path)
        try:
            return [_public_line(key) for key in await agent.get_keys()]
        finally:
            agent.close()
            await agent.wait_closed()

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, ask()).result()
