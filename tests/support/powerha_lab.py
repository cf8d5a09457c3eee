"""A small PowerHA lab in process: an `Emulator` on the manual clock, AIX nodes added to its
world directly (files, subsystems, the rhosts clcomd loaded) and an in-test stand-in for the
disks model that follows the DiskTable contract (hdisks over volumes, PVIDs written on the
disk and read per node, reserve policies, volume groups)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from powerbridge.emulator.aix.disks import DiskView
from powerbridge.emulator.aix.node import UP, Interface, Node, NodeRecord
from powerbridge.emulator.aix.node_files import seed_files
from powerbridge.emulator.aix.shell import Session, ShellResult
from powerbridge.emulator.clock import ClockMode
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator


@dataclass
class FakeVolume:
    volume_id: str
    size_mb: int
    pvid: str | None  # written on the disk (chdev -a pv=yes)
    volume_group: str | None = None
    read_by: set[str] = field(default_factory=set)  # nodes whose cfgmgr read the PVID
    reserve: dict[str, str] = field(default_factory=dict)  # node -> reserve_policy


class FakeDisks:
    """The DiskTable contract over a few volumes; hdisk0 is every node's boot disk."""

    def __init__(self) -> None:
        self.volumes: dict[str, FakeVolume] = {}
        self.attached: dict[str, list[str]] = {}  # server id -> volume ids in order
        self.varied_on: set[tuple[str, str]] = set()  # (server id, vg)

    def add(
        self,
        volume_id: str,
        nodes: list[Node],
        *,
        size_mb: int = 1024,
        pvid: str | None = None,
        read: bool = True,
        reserve: str = "no_reserve",
    ) -> None:
        volume = FakeVolume(volume_id, size_mb, pvid)
        self.volumes[volume_id] = volume
        for node in nodes:
            self.attached.setdefault(node.server_id, []).append(volume_id)
            volume.reserve[node.server_id] = reserve
            if read:
                volume.read_by.add(node.server_id)

    def disks(self, node: Node) -> list[DiskView]:
        views = [
            DiskView("hdisk0", "", 51200, "00c0ffee00000000", "rootvg", "single_path", "boot", "")
        ]
        for index, volume_id in enumerate(self.attached.get(node.server_id, []), start=1):
            volume = self.volumes[volume_id]
            pvid = volume.pvid if node.server_id in volume.read_by else None
            views.append(
                DiskView(
                    f"hdisk{index}",
                    volume_id,
                    volume.size_mb,
                    pvid,
                    volume.volume_group,
                    volume.reserve.get(node.server_id, "single_path"),
                    f"3321360050768{volume_id}04214503IBMfcp",
                    f"60050768{volume_id}",
                )
            )
        return views

    def find(self, node: Node, name_or_pvid: str) -> DiskView | None:
        return next((d for d in self.disks(node) if name_or_pvid in (d.name, d.pvid)), None)

    def on_node(self, node: Node, volume_id: str) -> DiskView | None:
        return next((d for d in self.disks(node) if d.volume_id == volume_id), None)

    def set_volume_group(self, volume_id: str, volume_group: str | None) -> None:
        self.volumes[volume_id].volume_group = volume_group

    def create_shared_vg(
        self, node: Node, members: list[Node], volume_ids: list[str], name: str, *, scalable: bool
    ) -> list[str]:
        for volume_id in volume_ids:
            self.set_volume_group(volume_id, name)
        return []

    def set_varied_on(self, node: Node, volume_group: str, on: bool) -> None:
        key = (node.server_id, volume_group)
        if on:
            self.varied_on.add(key)
        else:
            self.varied_on.discard(key)


class Lab:
    def __init__(
        self,
        tmp_path: Path,
        *,
        data_dir: Path | None = None,
        disks: FakeDisks | None = None,
        clock: ClockMode = "manual",
    ) -> None:
        config = EmulatorConfig(clock=clock, data_dir=data_dir, log_dir=tmp_path / "logs")
        self.emulator = Emulator(config)
        self.world = self.emulator.aix
        self.disks = disks if disks is not None else FakeDisks()
        self.world.disks = self.disks  # type: ignore[assignment]

    def node(self, name: str, address: str, *, version: str | None = "7.2.5") -> Node:
        record = NodeRecord(
            server_id=f"srv-{name}",
            name=name,
            powerha_version=version,
            interfaces=[Interface("en0", address, "255.255.255.0", "fa:16:3e:00:00:01")],
            state=UP,
            subsystems={"clcomd": "active", "clstrmgrES": "active"},
        )
        node = self.world.add(record)
        seed_files(node)
        return node

    def nodes(self, count: int, *, version: str = "7.2.5") -> list[Node]:
        return [
            self.node(f"ha{i}", f"10.10.0.{10 + i}", version=version) for i in range(1, count + 1)
        ]

    def prepare(self, nodes: list[Node], *, labels: dict[str, str] | None = None) -> None:
        """/etc/hosts naming every node (and the service labels), rhosts loaded by clcomd."""
        entries = [f"{n.addresses[0]} {n.name}.example.com {n.name}" for n in nodes]
        entries += [f"{address} {label}" for label, address in (labels or {}).items()]
        for node in nodes:
            node.fs.write_text(
                "/etc/hosts", "127.0.0.1 loopback localhost\n" + "\n".join(entries) + "\n"
            )
            node.fs.write_text("/etc/cluster/rhosts", "\n".join(n.addresses[0] for n in nodes))
            node.record.clcomd_rhosts = [n.addresses[0] for n in nodes]

    def script(self, nodes: list[Node], path: str, *, mode: int = 0o755) -> None:
        for node in nodes:
            node.fs.mkdir(path.rsplit("/", 1)[0], parents=True)
            node.fs.write_text(path, "#!/bin/ksh\nexit 0\n", mode=mode)

    def run(self, node: Node, line: str) -> ShellResult:
        return asyncio.run(Session(node, self.world).run(line))

    def ok(self, node: Node, line: str) -> str:
        result = self.run(node, line)
        assert result.status == 0, (line, result.out, result.err)
        return result.out

    def advance(self, seconds: float) -> None:
        self.emulator.advance_clock(seconds)

    def close(self) -> None:
        self.emulator.close()


SERVICE = {"hasvc": "10.10.0.50"}


def build_lines(
    nodes: list[Node],
    *,
    startup: str = "OHN",
    fallover: str = "FNPN",
    fallback: str = "NFB",
    repository: str = "hdisk1",
    data: str = "hdisk2",
) -> list[str]:
    """The build in the order public automation runs it (shared/powerha/README.md)."""
    names = ",".join(n.name for n in nodes)
    return [
        f"clmgr add cluster hacl NODES={names} REPOSITORIES={repository} TYPE=NSC "
        "HEARTBEAT_TYPE=unicast",
        "clmgr add service_ip hasvc NETWORK=net_ether_01",
        "clmgr add application_controller app1 STARTSCRIPT=/opt/app/start STOPSCRIPT=/opt/app/stop",
        f"clmgr add volume_group datavg NODES={names} PHYSICAL_VOLUMES={data}",
        f"clmgr add resource_group rg1 NODES={names} STARTUP={startup} FALLOVER={fallover} "
        f"FALLBACK={fallback} SERVICE_LABEL=hasvc APPLICATIONS=app1 VOLUME_GROUP=datavg",
        "clmgr sync cluster",
    ]


def configured(lab: Lab, count: int, **policies: str) -> list[Node]:
    """`count` prepared nodes sharing a repository (hdisk1) and a data disk (hdisk2), the
    cluster defined and synchronised, services not started."""
    nodes = lab.nodes(count)
    lab.prepare(nodes, labels=SERVICE)
    lab.disks.add("repo", nodes, pvid="00c8a1b2c3d4e5f6")
    lab.disks.add("data", nodes, pvid="00c8a1b2c3d4e5f7", size_mb=10240)
    lab.script(nodes, "/opt/app/start")
    lab.script(nodes, "/opt/app/stop")
    for line in build_lines(nodes, **policies):
        lab.ok(nodes[0], line)
    return nodes
