"""PowerVC's logs over SSH (SFTP), with the server's host key verified.

`SshLogs.open("root@powervc.example.com")` connects with asyncssh, checking the host key
against `~/.ssh/known_hosts` (or the file given): an unknown or changed key is an error that
says how to trust the host, never a silent accept. Files are read through SFTP below the log
root (`/var/log` on PowerVC: `nova/`, `cinder/`, ...). asyncssh is imported only here, when
`--ssh` is used; it is an optional dependency, the `ssh` extra
(`pip install 'powerbridge[ssh]'`).

`connect` is injectable so tests can stand a fake SFTP client in for a real host.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.logsearch import LOG_NAME, SERVICES

DEFAULT_ROOT = "/var/log"
DEFAULT_PORT = 22


@dataclass(frozen=True)
class Target:
    user: str | None
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Target:
        """`[USER@]HOST[:PORT]`."""
        user, _, rest = text.rpartition("@")
        host, _, port = rest.partition(":")
        if rest.startswith("["):  # [ipv6]:port
            host, _, port = rest[1:].partition("]")
            port = port.lstrip(":")
        if not host or (port and not port.isdigit()):
            raise UsageProblem(f"--ssh {text!r}: give USER@HOST or USER@HOST:PORT")
        return cls(user or None, host, int(port) if port else DEFAULT_PORT)

    def __str__(self) -> str:
        where = self.host if self.port == DEFAULT_PORT else f"{self.host}:{self.port}"
        return f"{self.user}@{where}" if self.user else where


Connect = Callable[..., Awaitable[Any]]


class SshLogs:
    """A log root on a remote host, read over SFTP. Use `async with`."""

    def __init__(self, sftp: Any, connection: Any, root: str, target: Target) -> None:
        self.sftp = sftp
        self.connection = connection
        self.root = root.rstrip("/") or "/"
        self.description = f"{target}:{self.root}"

    @classmethod
    async def open(
        cls,
        target: Target,
        *,
        root: str = DEFAULT_ROOT,
        known_hosts: Path | None = None,
        connect: Connect | None = None,
    ) -> SshLogs:
        asyncssh = _asyncssh() if connect is None else None
        connect = connect or asyncssh.connect  # type: ignore[union-attr]
        options: dict[str, Any] = {"port": target.port}
        if target.user:
            options["username"] = target.user
        if known_hosts is not None:
            options["known_hosts"] = str(known_hosts)
        try:
            connection = await connect(target.host, **options)
            sftp = await connection.start_sftp_client()
        except Exception as problem:
            raise ssh_failure(problem, target, known_hosts) from None
        return cls(sftp, connection, root, target)

    async def __aenter__(self) -> SshLogs:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        exit_sftp = getattr(self.sftp, "exit", None)
        if exit_sftp is not None:
            exit_sftp()
        self.connection.close()
        waiter = getattr(self.connection, "wait_closed", None)
        if waiter is not None:
            await waiter()

    async def files(self) -> list[str]:
        found: list[str] = []
        tops = [s for s in SERVICES if await self._isdir(f"{self.root}/{s}")]
        for top in tops or [""]:
            await self._walk(top, found)
        return found

    async def _walk(self, relative: str, found: list[str]) -> None:
        directory = f"{self.root}/{relative}".rstrip("/")
        for name in sorted(await self.sftp.listdir(directory)):
            if name in (".", ".."):
                continue
            child = f"{relative}/{name}".lstrip("/")
            if await self._isdir(f"{self.root}/{child}"):
                await self._walk(child, found)
            elif LOG_NAME.search(name):
                found.append(child)

    async def _isdir(self, path: str) -> bool:
        return bool(await self.sftp.isdir(path))

    async def read(self, path: str) -> bytes:
        try:
            async with self.sftp.open(f"{self.root}/{path}", "rb") as handle:
                data = await handle.read()
        except Exception as problem:  # asyncssh's SFTPError: permission denied, vanished
            raise OSError(str(problem)) from None
        return bytes(data)


def _asyncssh() -> Any:
    try:
        return importlib.import_module("asyncssh")
    except ImportError:
        raise CliError(
            "--ssh needs the asyncssh package, which is not installed",
            hint="pip install 'powerbridge[ssh]' (or copy PowerVC's /var/log here and use "
            "--logs DIR)",
        ) from None


def ssh_failure(problem: Exception, target: Target, known_hosts: Path | None) -> CliError:
    """One clear line for what went wrong connecting, and what to do about it."""
    kind = type(problem).__name__
    reason = " ".join(str(problem).split()) or kind
    where = known_hosts or "~/.ssh/known_hosts"
    keyscan = f"ssh-keyscan{f' -p {target.port}' if target.port != DEFAULT_PORT else ''}"
    if kind == "HostKeyNotVerifiable":
        return CliError(
            f"SSH to {target}: the host key of {target.host} is not trusted ({reason})",
            hint=f"check the key's fingerprint with the PowerVC administrator, then trust it: "
            f"{keyscan} {target.host} >> {where} (or connect once with ssh and accept it)",
        )
    if kind == "PermissionDenied":
        return CliError(
            f"SSH to {target}: login refused ({reason})",
            hint="use a user whose key (ssh-agent or ~/.ssh/id_*) PowerVC's host accepts",
        )
    if isinstance(problem, OSError):
        return CliError(
            f"SSH to {target}: cannot connect ({reason})",
            hint="check the host name, the port and that sshd runs there",
        )
    return CliError(f"SSH to {target}: {kind}: {reason}")
