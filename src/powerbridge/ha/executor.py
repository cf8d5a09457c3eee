"""Commands on the cluster's nodes over SSH: one asyncssh connection per node for the job.

The OpenSSH client config in use (`default_ssh_configs`: `$POWERBRIDGE_SSH_CONFIG`, then
`~/.ssh/config`) decides how a node's address is reached (HostName, Port, User,
UserKnownHostsFile, HostKeyAlias, ProxyJump ...), read by asyncssh itself.

Host keys: a node with no pin is checked against the known_hosts files that config names
(strict), or with `accept_new_host_keys` trusted as presented; the key is then pinned and
every later contact (a reconnect, the next job given `pins`) must present exactly it.

A lost connection mid-command is reopened and the command run once more: the workflow's
commands query before they change, so running one twice is harmless.

Errors (`node_errors`, re-exported here), one line each:

    NodeAccessError
     +-- NodeUnreachable, NodeAuthFailed, CommandTimedOut, NodeConnectionLost,
     |   NodeNotConnected
     +-- HostKeyError
          +-- HostKeyChanged (a man-in-the-middle warning), HostKeyNotTrusted
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncssh

from powerbridge.ha.command_result import CommandResult, Redactor
from powerbridge.ha.identity import Identity
from powerbridge.ha.node_errors import (
    CommandTimedOut,
    HostKeyChanged,
    HostKeyError,
    HostKeyNotTrusted,
    NodeAccessError,
    NodeAuthFailed,
    NodeConnectionLost,
    NodeNotConnected,
    NodeUnreachable,
)
from powerbridge.ha.pacing import pause

__all__ = [
    "CommandResult",
    "CommandTimedOut",
    "HostKeyChanged",
    "HostKeyError",
    "HostKeyNotTrusted",
    "NodeAccessError",
    "NodeAuthFailed",
    "NodeConnectionLost",
    "NodeExecutor",
    "NodeNotConnected",
    "NodeUnreachable",
    "default_ssh_configs",
]

SSH_CONFIG_VARIABLE = "POWERBRIDGE_SSH_CONFIG"
FIRST_RETRY_DELAY, LONGEST_RETRY_DELAY = 0.25, 2.0

# What a booting LPAR answers before its sshd is up: worth another try until the deadline.
_TRANSIENT = (OSError, asyncio.TimeoutError, asyncssh.ConnectionLost, asyncssh.DisconnectError)
# What a connection that dropped mid-command raises.
_LOST = (OSError, asyncssh.ConnectionLost, asyncssh.DisconnectError, asyncssh.ChannelOpenError)


def default_ssh_configs(
    env: Mapping[str, str] = os.environ, home: Path | None = None
) -> tuple[Path, ...]:
    """`$POWERBRIDGE_SSH_CONFIG` when set (the emulator's, or a site's own), then
    `~/.ssh/config` when it exists; the first file to set an option wins, as in OpenSSH."""
    configs = [Path(env[SSH_CONFIG_VARIABLE])] if env.get(SSH_CONFIG_VARIABLE) else []
    user_config = (home or Path(env.get("HOME") or Path.home())) / ".ssh" / "config"
    if user_config.is_file():
        configs.append(user_config)
    return tuple(configs)


class _HostKeyCheck(asyncssh.SSHClient):
    """Decides on a host key known_hosts does not vouch for (with a pin: every key)."""

    def __init__(self, pin: str | None, accept_new: bool) -> None:
        self._pin = asyncssh.import_public_key(pin) if pin else None
        self._accept_new = accept_new
        self.presented: str | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        self.presented = _key_line(key)
        if self._pin is not None:
            return bytes(key.public_data) == bytes(self._pin.public_data)
        return self._accept_new


class NodeExecutor:
    """One SSH connection per node, opened by `connect` and used by every `run`."""

    def __init__(
        self,
        identity: Identity,
        *,
        user: str = "root",
        ssh_configs: Sequence[Path] | None = None,
        pins: Mapping[str, str] | None = None,
        accept_new_host_keys: bool = False,
        connect_timeout: float = 30.0,
        command_timeout: float = 600.0,
        redact: Sequence[str] = (),
        cluster: str = "CLUSTER",
    ) -> None:
        self.identity, self.user, self.cluster = identity, user, cluster
        configs = default_ssh_configs() if ssh_configs is None else ssh_configs
        self.ssh_configs = tuple(str(path) for path in configs)
        self.accept_new_host_keys = accept_new_host_keys
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self._redact = Redactor.of(redact)
        self._pins = dict(pins or {})
        self._addresses: dict[str, str] = {}
        self._connections: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.connections_opened = 0

    async def __aenter__(self) -> NodeExecutor:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def pins(self) -> dict[str, str]:
        """node -> the host key (OpenSSH line) it must present."""
        return dict(self._pins)

    # -- connections -----------------------------------------------------------------------
    async def connect(self, node: str, address: str, *, deadline: float) -> str:
        """Open the node's connection, retrying while it boots until `deadline`
        (`time.monotonic()`); return its host key, now pinned."""
        self._addresses[node] = address
        async with self._lock(node):
            connection = await self._open(node, address, deadline)
            await self._replace(node, connection)
        return self._pins[node]

    async def _open(self, node: str, address: str, deadline: float) -> asyncssh.SSHClientConnection:
        reason, began = "no attempt before the deadline", time.monotonic()
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                return await self._attempt(node, address, min(self.connect_timeout, remaining))
            except _TRANSIENT as problem:
                reason = _reason(problem)
            now = time.monotonic()
            delay = pause(now - began, FIRST_RETRY_DELAY, LONGEST_RETRY_DELAY)
            await asyncio.sleep(max(0.0, min(delay, deadline - now)))
        raise NodeUnreachable(node, address, reason, time.monotonic() - began)

    async def _attempt(
        self, node: str, address: str, timeout: float
    ) -> asyncssh.SSHClientConnection:
        check = _HostKeyCheck(self._pins.get(node), self.accept_new_host_keys)
        options: dict[str, Any] = {}
        if node in self._pins:  # the pin alone decides; known_hosts vouches for no key
            options["known_hosts"] = asyncssh.import_known_hosts("")
        path = self.identity.agent_path
        agent = asyncssh.SSHAgentClient(path) if path else None
        try:
            keys = list(await agent.get_keys()) if agent else list(self.identity.client_keys)
            if not keys:
                raise self._auth_failed(node, address)
            connection = await asyncssh.connect(
                address,
                config=list(self.ssh_configs),
                username=self.user,
                client_factory=lambda: check,
                client_keys=keys,
                agent_path=None,
                preferred_auth="publickey",
                connect_timeout=timeout,
                **options,
            )
        except asyncssh.PermissionDenied:
            raise self._auth_failed(node, address) from None
        except asyncssh.HostKeyNotVerifiable:
            raise self._host_key_error(node, address, check.presented) from None
        finally:
            if agent is not None:
                agent.close()
        self.connections_opened += 1
        presented = connection.get_server_host_key()
        if presented is not None:
            self._pins.setdefault(node, _key_line(presented))
        return connection

    def _auth_failed(self, node: str, address: str) -> NodeAuthFailed:
        identity = self.identity
        return NodeAuthFailed(node, address, self.user, identity.source, identity.fingerprint)

    def _host_key_error(self, node: str, address: str, presented: str | None) -> NodeAccessError:
        pinned = self._pins.get(node)
        if presented is None:  # refused before our check ran (a revoked or malformed key)
            return NodeUnreachable(node, address, "host key refused", 0.0)
        if pinned is not None:
            return HostKeyChanged(node, address, pinned, presented, self.cluster)
        return HostKeyNotTrusted(node, address, presented)

    async def _replace(self, node: str, connection: asyncssh.SSHClientConnection) -> None:
        old = self._connections.pop(node, None)
        self._connections[node] = connection
        if old is not None:
            old.close()

    def _lock(self, node: str) -> asyncio.Lock:
        return self._locks.setdefault(node, asyncio.Lock())

    async def _reconnect(self, node: str, broken: asyncssh.SSHClientConnection | None) -> None:
        """Reopen a dropped connection (once, however many commands saw it drop)."""
        async with self._lock(node):
            if self._connections.get(node) is not broken:
                return  # another command already reopened it
            deadline = time.monotonic() + self.connect_timeout
            connection = await self._open(node, self._addresses[node], deadline)
            await self._replace(node, connection)

    async def close(self) -> None:
        connections, self._connections = list(self._connections.values()), {}
        for connection in connections:
            connection.close()
        for connection in connections:
            await connection.wait_closed()

    # -- commands --------------------------------------------------------------------------
    async def run(
        self,
        node: str,
        command: str,
        *,
        stdin: str | None = None,
        timeout: float | None = None,
        step: str | None = None,
    ) -> CommandResult:
        """Run `command` on `node` (through the shell sshd starts); a dropped connection is
        reopened and the command run again once (`retried`)."""
        if node not in self._addresses:
            raise NodeNotConnected(node)
        seconds = self.command_timeout if timeout is None else timeout
        started, retried = time.time(), False
        used = self._connections.get(node)
        done = await self._run_once(node, used, command, stdin, seconds)
        if done is None:
            await self._reconnect(node, used)
            again = self._connections.get(node)
            done, retried = await self._run_once(node, again, command, stdin, seconds), True
            if done is None:
                raise NodeConnectionLost(node, self._redact(command))
        return CommandResult(
            node=node,
            command=self._redact(command),
            exit_status=int(done.returncode if done.returncode is not None else 255),
            stdout=self._redact(_text(done.stdout)),
            stderr=self._redact(_text(done.stderr)),
            started_at=started,
            ended_at=time.time(),
            retried=retried,
            step=step,
        )

    async def _run_once(
        self,
        node: str,
        connection: asyncssh.SSHClientConnection | None,
        command: str,
        stdin: str | None,
        seconds: float,
    ) -> asyncssh.SSHCompletedProcess | None:
        """The finished process, or None when the connection was lost before its end."""
        if connection is None or connection.is_closed():
            return None
        try:
            done = await connection.run(command, input=stdin, timeout=seconds, check=False)
        except asyncssh.TimeoutError:
            raise CommandTimedOut(node, self._redact(command), seconds) from None
        except _LOST:
            return None
        if done.exit_status is None and done.exit_signal is None:
            return None  # the channel closed without an answer: the connection was cut
        return done


def _key_line(key: asyncssh.SSHKey) -> str:
    return " ".join(bytes(key.export_public_key()).decode().split()[:2])


def _text(output: str | bytes | None) -> str:
    if output is None:
        return ""
    return output if isinstance(output, str) else output.decode(errors="replace")


def _reason(problem: BaseException) -> str:
    """A few words for NodeUnreachable's `last` reason."""
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused"
    if isinstance(problem, ConnectionResetError | asyncssh.ConnectionLost):
        return "connection reset"
    if isinstance(problem, asyncio.TimeoutError):
        return "timed out"
    text = str(problem).strip() or type(problem).__name__
    return text.splitlines()[0]
