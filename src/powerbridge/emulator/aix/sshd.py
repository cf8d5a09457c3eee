"""The nodes' SSH servers: one asyncssh listener per node that is up, in the emulator's loop.

`NodeSshServers` follows node states (`AixWorld.on_node_state`, which may fire in any thread):
a node that comes up gets a listener on loopback at its own port with its host key; a node
that goes down loses it, and its open connections are cut, as a stopped LPAR's are; after each
change `ssh/config` and `ssh/known_hosts` are rewritten.

What a client can do:
- public key authentication as root, against the node's `/.ssh/authorized_keys` (what
  cloud-init wrote and whatever root appended since); passwords and keyboard-interactive are
  never offered, so any other key ends in `Permission denied (publickey)`;
- exec: the command line runs in a fresh shell session, with the request's stdin as its
  standard input, and the session's output and exit status come back;
- shell: with a terminal, a `# ` prompt and a session that keeps its variables and directory
  until `exit` or end of input; without one, the lines are run the same way, without prompts;
- SFTP over the node's virtual file system (`sftp`).

A failure inside a session ends that session with a message and exit status 255 and is
logged: no input reaches the listener or the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.nodes import new_host_key
from powerbridge.emulator.aix.sftp import NodeSftpServer
from powerbridge.emulator.aix.shell import Session
from powerbridge.emulator.aix.ssh_files import KnownHost, SshFiles, SshHost, public_key_line
from powerbridge.emulator.aix.world import AixWorld
from powerbridge.emulator.backend.behaviours import Behaviours

ROOT = "root"
PROMPT = "# "
AUTHORIZED_KEYS = "/.ssh/authorized_keys"
# An exec request's stdin is read (to its end) only for a command line that starts with a
# command that reads its standard input, as `ssh node ksh < script` or `ssh node 'cat > f'`
# do; a client that keeps stdin open without writing (a terminal) gets an empty stdin after
# the grace. Other command lines (hostname, lspv, clmgr...) run at once with none.
STDIN_READERS = frozenset(
    {"sh", "ksh", "ksh93", "bash", "cat", "tee", "grep", "egrep", "fgrep", "awk", "sed"}
    | {"head", "tail", "wc", "sort", "uniq", "cut", "tr", "xargs", "read", "while", "dd"}
)
STDIN_GRACE = 0.2
# A bare shell (`ksh`, `ksh -x`: no script named) runs the script its stdin carries, so it
# waits for that script as a real sshd's child would: the first byte may come late from a
# busy client (the ha workflow feeds every node script this way), and an empty script run
# instead would be a silent, false success.
SHELLS = frozenset({"sh", "ksh", "ksh93", "bash"})
SCRIPT_GRACE = 30.0
INTERNAL_ERROR = 255
LOOPBACK = "127.0.0.1"

log = logging.getLogger(__name__)


def listen_host(emulator_host: str) -> str:
    """Loopback: the emulator's own address when that is a loopback address, else 127.0.0.1."""
    try:
        address = ipaddress.ip_address(emulator_host.strip("[]"))
    except ValueError:
        return LOOPBACK
    return str(address) if address.is_loopback else LOOPBACK


@dataclass
class Listener:
    acceptor: asyncssh.SSHAcceptor
    host_key: str  # the node's host key when it was opened (a rebuild makes another)
    port: int
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)


class NodeSshServers:
    def __init__(
        self,
        world: AixWorld,
        *,
        ssh_dir: Path,
        host: str = LOOPBACK,
        ports: tuple[int, int] = (0, 0),
        behaviours: Behaviours | None = None,
    ) -> None:
        self.world = world
        self.behaviours = behaviours
        self._other_keys: dict[str, str] = {}  # changed_host_key faults: the key presented
        self.host = listen_host(host)
        self.ports = ports
        self.files = SshFiles(ssh_dir)
        self._listeners: dict[str, Listener] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty = False
        self._syncing: asyncio.Task[None] | None = None
        world.on_node_state(self._on_node_state)
        world.on_addresses_changed(self.refresh)
        if behaviours is not None:
            behaviours.watch(self.refresh)

    @property
    def config_path(self) -> Path:
        return self.files.config_path

    def port_of(self, server_id: str) -> int | None:
        listener = self._listeners.get(server_id)
        return listener.port if listener is not None else None

    # -- following the nodes ---------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.sync()

    async def stop(self) -> None:
        self._loop = None
        if self._syncing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._syncing
        for server_id in list(self._listeners):
            await self._close(server_id)

    def refresh(self) -> None:
        """Re-read the nodes (from any thread): listeners and the client files follow them
        (the PowerHA model calls this when a service label moves)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._request_sync)

    def _on_node_state(self, node: Node, old: str, new: str) -> None:
        self.refresh()

    def _request_sync(self) -> None:
        self._dirty = True
        if self._loop is not None and (self._syncing is None or self._syncing.done()):
            self._syncing = self._loop.create_task(self._sync_while_dirty())

    async def _sync_while_dirty(self) -> None:
        while self._dirty and self._loop is not None:
            self._dirty = False
            try:
                await self.sync()
            except Exception:  # the next change tries again; serving goes on
                log.exception("could not bring the nodes' SSH servers up to date")

    async def sync(self) -> None:
        """Listeners for exactly the nodes that are up (with the host key they present)."""
        wanted = {
            sid: node
            for sid, node in self.world.nodes.items()
            if node.is_up and self._rule(node, "refuse_ssh") is None
        }
        for server_id, listener in list(self._listeners.items()):
            node = wanted.get(server_id)
            if node is None or self._presented_key(node) != listener.host_key:
                await self._close(server_id)
        missing = [node for server_id, node in wanted.items() if server_id not in self._listeners]
        if missing:
            free = self._free_ports()  # once per sync: nodes by the thousand stay linear
            for node in missing:
                await self._open(node, free)
        self.write_files()

    # -- faults --------------------------------------------------------------------------
    def _rule(self, node: Node, mode: str) -> object | None:
        return self.behaviours.node_rule(node.name, mode) if self.behaviours else None

    def _presented_key(self, node: Node) -> str | None:
        """The node's host key, or another one while a `changed_host_key` rule holds."""
        if self._rule(node, "changed_host_key") is None:
            self._other_keys.pop(node.server_id, None)
            return node.record.host_key
        if node.server_id not in self._other_keys:
            self._other_keys[node.server_id] = new_host_key()
        return self._other_keys[node.server_id]

    def _resets(self, node: Node) -> bool:
        return bool(self.behaviours and self.behaviours.node_fault(node.name, "reset_ssh"))

    # -- listeners -----------------------------------------------------------------------
    async def _open(self, node: Node, free: list[int]) -> None:
        """Listen for `node`; `free` (the range's ports no node keeps) loses the one taken."""
        record = node.record
        presented = self._presented_key(node)
        if presented is None:
            return
        key = asyncssh.import_private_key(presented)
        for port in self._candidate_ports(node, free):
            try:
                acceptor = await self._listen(node.server_id, key, port)
            except OSError as problem:
                log.warning("node %s: cannot listen on port %d: %s", node.name, port, problem)
                continue
            bound = int(acceptor.sockets[0].getsockname()[1])
            if bound in free:
                free.remove(bound)
            self._listeners[node.server_id] = Listener(acceptor, presented, bound)
            if record.ssh_port != bound:
                record.ssh_port = bound
                self.world.save(node)
            return
        log.error("node %s: no free SSH port in %d-%d", node.name, *self.ports)

    def _free_ports(self) -> list[int]:
        """The range's ports no node keeps as its own (none when any port will do)."""
        low, high = self.ports
        if low == 0:
            return []
        kept = {n.record.ssh_port for n in self.world.nodes.values()}
        return [p for p in range(low, high + 1) if p not in kept]

    @staticmethod
    def _candidate_ports(node: Node, free: list[int]) -> list[int]:
        """The node's own port first; if another process took it meanwhile, the range's free
        ones; with none (the range used up, or any port will do), whatever port is free."""
        own = node.record.ssh_port
        candidates = [own] if own is not None else []
        candidates += [p for p in free if p != own]
        return candidates if free else [*candidates, 0]

    async def _listen(self, server_id: str, key: asyncssh.SSHKey, port: int) -> Any:
        return await asyncssh.create_server(
            lambda: NodeConnection(self, server_id),
            self.host,
            port,
            server_host_keys=[key],
            process_factory=lambda process: self._run_process(server_id, process),
            sftp_factory=lambda chan: NodeSftpServer(chan, self.world, server_id),
            allow_scp=False,
            agent_forwarding=False,
            x11_forwarding=False,
            password_auth=False,
            kbdint_auth=False,
            gss_host=None,
            config=None,  # never the host's sshd_config or authorized_keys
            authorized_client_keys=None,
            encoding="utf-8",
        )

    async def _close(self, server_id: str) -> None:
        listener = self._listeners.pop(server_id, None)
        if listener is None:
            return
        listener.acceptor.close()
        for connection in list(listener.connections):
            connection.abort()  # the LPAR is gone: nothing is said goodbye
        await listener.acceptor.wait_closed()

    def connection_made(self, server_id: str, connection: asyncssh.SSHServerConnection) -> None:
        listener = self._listeners.get(server_id)
        if listener is None:  # accepted as its listener closed: cut it once it is set up
            asyncio.get_running_loop().call_soon(connection.abort)
            return
        listener.connections.add(connection)

    def connection_lost(self, server_id: str, connection: asyncssh.SSHServerConnection) -> None:
        listener = self._listeners.get(server_id)
        if listener is not None:
            listener.connections.discard(connection)

    # -- the client files ----------------------------------------------------------------
    def write_files(self) -> None:
        hosts: list[SshHost] = []
        known: list[KnownHost] = []
        by_id: dict[str, SshHost] = {}
        for node in sorted(self.world.nodes.values(), key=lambda n: n.name):
            port = self.port_of(node.server_id) or node.record.ssh_port
            if port is None or node.record.host_key is None:
                continue
            names = list(dict.fromkeys([node.name, *node.addresses]))
            by_id[node.server_id] = SshHost(names, port, node.name)
            known.append(KnownHost(names, public_key_line(node.record.host_key)))
        hosts.extend(by_id.values())
        for label, address, server_id in self.world.clusters.service_labels():
            holder = by_id.get(server_id)
            if holder is not None:
                hosts.append(
                    SshHost(list(dict.fromkeys([label, address])), holder.port, holder.key_alias)
                )
        self.files.write(hosts, known, self.host)

    # -- sessions ------------------------------------------------------------------------
    async def _run_process(self, server_id: str, process: asyncssh.SSHServerProcess[str]) -> None:
        status = INTERNAL_ERROR
        try:
            node = self.world.node(server_id)
            if node is None or not node.is_up:
                return
            session = Session(node, self.world)
            if self._resets(node):
                await _run_then_reset(process, session)
                return
            if process.command is None:
                status = await _interactive(process, session)
            else:
                status = await _exec(process, session, process.command)
        except (asyncssh.Error, ConnectionError, BrokenPipeError):
            return  # the client went away
        except Exception as problem:
            log.exception("node %s: the SSH session failed", server_id)
            with contextlib.suppress(Exception):
                process.stderr.write(f"ksh: internal error: {type(problem).__name__}\n")
        finally:
            with contextlib.suppress(Exception):
                process.exit(status % 256)


class NodeConnection(asyncssh.SSHServer):
    """One client connection to a node: root's public keys, nothing else."""

    def __init__(self, servers: NodeSshServers, server_id: str) -> None:
        self._servers = servers
        self._server_id = server_id
        self._connection: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connection = conn
        self._servers.connection_made(self._server_id, conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._connection is not None:
            self._servers.connection_lost(self._server_id, self._connection)

    def begin_auth(self, username: str) -> bool:
        node = self._servers.world.node(self._server_id)
        keys = _authorized_keys(node) if node is not None and username == ROOT else None
        if self._connection is not None and keys is not None:
            self._connection.set_authorized_keys(keys)
        return True

    def public_key_auth_supported(self) -> bool:
        return True  # offered even to a user without keys: the answer is the same refusal

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False


async def _run_then_reset(process: asyncssh.SSHServerProcess[str], session: Session) -> None:
    """A `reset_ssh` fault: the command runs (its effects happen), then the connection is cut
    before any answer, so the client cannot tell how far it got. A command that reads its
    standard input (`ksh` fed a script) gets it first, as without the fault."""
    if process.command is not None:
        words = process.command.split()
        reads = bool(words) and words[0] in STDIN_READERS and not process.get_terminal_type()
        stdin = await _stdin(process, _grace(words)) if reads else ""
        await session.run(process.command, stdin)
    process.channel.get_connection().abort()


def _authorized_keys(node: Node) -> asyncssh.SSHAuthorizedKeys | None:
    """Root's authorized_keys as sshd reads them: the lines it can parse (a line root broke
    does not lock out the others); None when there is none."""
    try:
        text = node.fs.read_text(AUTHORIZED_KEYS)
    except Exception:
        text = ""
    good: list[str] = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            with contextlib.suppress(ValueError, asyncssh.KeyImportError):
                asyncssh.import_authorized_keys(line)
                good.append(line)
    return asyncssh.import_authorized_keys("\n".join(good) + "\n") if good else None


async def _exec(process: asyncssh.SSHServerProcess[str], session: Session, line: str) -> int:
    words = line.split()
    if words[:1] == ["exit"]:
        return _exit_status(words, session.last_status)
    reads = words[0] in STDIN_READERS if words else False
    stdin = (
        await _stdin(process, _grace(words)) if reads and not process.get_terminal_type() else ""
    )
    result = await session.run(line, stdin)
    _write(process, result.out, result.err)
    return result.status


async def _interactive(process: asyncssh.SSHServerProcess[str], session: Session) -> int:
    prompt = process.get_terminal_type() is not None
    while True:
        if prompt:
            process.stdout.write(PROMPT)
        try:
            line = await process.stdin.readline()
        except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
            continue
        if not line:
            return session.last_status
        words = line.split()
        if words[:1] == ["exit"]:
            return _exit_status(words, session.last_status)
        result = await session.run(line.rstrip("\r\n"))
        _write(process, result.out, result.err)


def _grace(words: list[str]) -> float:
    """How long a command that reads stdin waits for its first byte."""
    bare_shell = words[0] in SHELLS and all(word.startswith("-") for word in words[1:])
    return SCRIPT_GRACE if bare_shell else STDIN_GRACE


async def _stdin(process: asyncssh.SSHServerProcess[str], grace: float) -> str:
    try:
        async with asyncio.timeout(grace):  # not wait_for: it can swallow a cancel (3.11)
            first = await process.stdin.read(1)
    except TimeoutError:
        return ""
    if not first:
        return ""
    return first + await process.stdin.read()


def _write(process: asyncssh.SSHServerProcess[str], out: str, err: str) -> None:
    if out:
        process.stdout.write(out)
    if err:
        process.stderr.write(err)


def _exit_status(words: list[str], last: int) -> int:
    """`exit [N]`: N (modulo 256), or the last command's status."""
    if len(words) > 1:
        try:
            return int(words[1]) % 256
        except ValueError:
            return last
    return last
