"""`AixWorld`: the one object simulated commands reach.

It holds every node (by server id, found by host name or address too), the disks model, the
PowerHA clusters, the clock and lifecycle engine, and the PowerVC records a node reflects:
servers (state, attached volumes), volumes (size, WWN), ports (addresses) and images
(`os_distro`, `powerha_version`). Nodes are persisted on every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from powerbridge.emulator.aix.disks import DiskTable
from powerbridge.emulator.aix.mirror import FileMirror
from powerbridge.emulator.aix.node import NODE_KIND, Node, NodeRecord
from powerbridge.emulator.aix.powerha.clusters import ClusterRegistry
from powerbridge.emulator.aix.vfs import VirtualFS
from powerbridge.emulator.backend.behaviours import Behaviours
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.keypairs import KeypairBackend
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.volume import VolumeBackend

# (node, old state, new state): a node booted, went down (server stopped, deleted, crashed)...
NodeStateListener = Callable[[Node, str, str], None]


class AixWorld:
    def __init__(
        self,
        ctx: BackendContext,
        *,
        servers: ServerRegistry,
        volumes: VolumeBackend,
        networks: NetworkBackend,
        images: ImageBackend,
        keypairs: KeypairBackend,
        data_dir: Path | None,
    ) -> None:
        self.ctx = ctx
        self.servers = servers
        self.volumes = volumes
        self.networks = networks
        self.images = images
        self.keypairs = keypairs
        self.data_dir = data_dir
        # the fault rules (fail_command strikes in the shell); set by the Emulator
        self.behaviours: Behaviours | None = None
        self.nodes: dict[str, Node] = {}
        self._unsaved: dict[str, Node] = {}
        self._state_listeners: list[NodeStateListener] = []
        self._address_listeners: list[Callable[[], None]] = []
        # every node's files, read-only under <data>/logs/nodes/ (none for an in-memory run)
        self.mirror = FileMirror(data_dir / "logs" / "nodes") if data_dir is not None else None
        for body in ctx.store.load(NODE_KIND):
            self.add(NodeRecord.from_json(body))
        self.disks = DiskTable(self)
        self.clusters = ClusterRegistry(self)

    # -- nodes ---------------------------------------------------------------------------
    def add(self, record: NodeRecord) -> Node:
        fs = VirtualFS.from_json(record.files, clock=self.now) if record.files else None
        node = Node(record, fs if fs is not None else VirtualFS(clock=self.now))
        node.fs.on_change = lambda path: self._files_changed(node, path)
        self.nodes[record.server_id] = node
        if self.mirror is not None and fs is not None:
            self.mirror.sync(node)
        return node

    def _files_changed(self, node: Node, path: str) -> None:
        self._save_soon(node)
        if self.mirror is not None:
            self.mirror.update(node, path)

    def remove(self, server_id: str) -> None:
        node = self.nodes.pop(server_id, None)
        if node is not None:
            self.ctx.store.delete(NODE_KIND, server_id)
            if self.mirror is not None:
                self.mirror.forget(node)

    def node(self, server_id: str) -> Node | None:
        return self.nodes.get(server_id)

    def find(self, name_or_address: str) -> Node | None:
        """The node whose host name (short or qualified) or address this is."""
        short = name_or_address.split(".")[0]
        for node in self.nodes.values():
            if node.name in (name_or_address, short) or name_or_address in node.addresses:
                return node
        return None

    def on_node_state(self, listener: NodeStateListener) -> None:
        """Call `listener(node, old, new)` whenever a node's state changes (PowerHA's event
        processing and the SSH servers follow nodes this way)."""
        self._state_listeners.append(listener)

    def set_state(self, node: Node, state: str) -> None:
        old = node.record.state
        if old == state:
            return
        node.record.state = state
        self.save(node)
        for listener in self._state_listeners:
            listener(node, old, state)

    def on_addresses_changed(self, listener: Callable[[], None]) -> None:
        """Call `listener()` when a service address moves between nodes (ssh/config's block
        for a service label follows the node holding it)."""
        self._address_listeners.append(listener)

    def addresses_changed(self) -> None:
        for listener in self._address_listeners:
            listener()

    def _save_soon(self, node: Node) -> None:
        """Save the node once the running command yields, not at every file it changes: a
        save writes the whole file tree, and a script changes many files (8 nodes prepared
        at once spent most of their time here). Outside an event loop, at once."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save(node)
            return
        if not self._unsaved:
            loop.call_soon(self.save_unsaved)
        self._unsaved[node.server_id] = node

    def save_unsaved(self) -> None:
        """Save the nodes whose files changed since their last save."""
        unsaved, self._unsaved = self._unsaved, {}
        for server_id, node in unsaved.items():
            if self.nodes.get(server_id) is node:
                self.save(node)

    def save(self, node: Node) -> None:
        node.record.files = node.fs.to_json()
        self.ctx.store.put(NODE_KIND, node.server_id, node.record.to_json())

    # -- time ----------------------------------------------------------------------------
    def now(self) -> float:
        return self.ctx.clock.now()

    def timing(self, name: str, default: float) -> float:
        return float(self.ctx.estate.timings.get(name, default))
