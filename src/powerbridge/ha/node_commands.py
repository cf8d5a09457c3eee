"""What runs on the nodes, step by step: a pure function of the spec and the topology.

Each step gives `NodeCommand`s; the workflow runs them over SSH (`command` with `stdin`) and
records their output. Every script is idempotent: it asks before it changes (`clmgr query`,
`lsattr`, the file's content), so a re-run after any interruption changes nothing, adds no
second line or object, and exits 0. What a script changed is on its stdout as `+ COMMAND`
lines (`parse.changes`); where it stopped is on its stderr (`parse.script_failure`).

Steps, in order (see docs/ha.md, "What runs on the nodes"):
    prepare   -> one per node, in parallel
    disks     -> phases one after another, a phase's commands in parallel
    cluster, resources, sync, online -> the home node
    verify_commands -> one per node (read-only; `ha.health` reads their output)
    application     -> the spec's command on the home node (None without one)
"""

from __future__ import annotations

from dataclasses import dataclass

from powerbridge.ha import node_cluster, node_disks, node_prepare
from powerbridge.ha.ksh import LIBRARY, quote
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.node_values import Values, values_for
from powerbridge.ha.parse import SECTION_MARK
from powerbridge.ha.topology import Topology

__all__ = [
    "VERIFY_COMMANDS",
    "NodeCommand",
    "application",
    "cluster",
    "disks",
    "online",
    "prepare",
    "resources",
    "sync",
    "verify_commands",
]

VERIFY_COMMANDS = ("lssrc -ls clstrmgrES", "lscluster -m", "clRGinfo -s", "clmgr query cluster")


@dataclass(frozen=True)
class NodeCommand:
    """One remote command. `as_script`: `script` is a ksh script fed on stdin to `ksh`;
    otherwise it is one command line. `timeout` None: the executor's per-command default."""

    node: str
    step: str
    script: str
    description: str
    as_script: bool = True
    timeout: float | None = None

    @property
    def command(self) -> str:
        """The command line to run (`ksh` for a script)."""
        return "ksh" if self.as_script else self.script

    @property
    def stdin(self) -> str | None:
        return self.script if self.as_script else None


def header(values: Values, this_node: str) -> str:
    """The variables every script starts with, then the helper functions."""
    lines = [f"THIS_NODE={this_node}\n"]
    lines += [
        f"{variable.name}={quote(variable.value or '')}  # {variable.comment}\n"
        for variable in values.variables()
    ]
    return "".join(lines) + LIBRARY


def _command(values: Values, node: str, step: str, body: str, description: str) -> NodeCommand:
    script = (
        f"# powerbridge ha {step} on {node}: {description}\n{header(values, quote(node))}{body}"
    )
    return NodeCommand(node=node, step=step, script=script, description=description)


def prepare(spec: ClusterSpec, topology: Topology) -> list[NodeCommand]:
    """Per node: /etc/hosts, /etc/cluster/rhosts and clcomd, the application's scripts,
    cfgmgr (so the attached volumes are hdisks)."""
    values = values_for(spec, topology)
    body = (
        node_prepare.etc_hosts(spec, values)
        + node_prepare.rhosts(values)
        + node_prepare.application_scripts(spec)
        + node_prepare.cfgmgr()
    )
    description = "/etc/hosts, rhosts, clcomd, application scripts, cfgmgr"
    return [_command(values, name, "prepare", body, description) for name in spec.node_names]


def disks(spec: ClusterSpec, topology: Topology) -> list[list[NodeCommand]]:
    """Two phases: the home node finds every cluster disk by WWN and gives a PVID to those
    without; then every node (cfgmgr first on the others, so they read the PVIDs) checks it
    sees each disk with its PVID and sets reserve_policy=no_reserve where it is not."""
    values = values_for(spec, topology)
    home = spec.home_node
    found = node_disks.locate(values.disks)
    first = node_prepare.cfgmgr() + found + node_disks.assign_pvids(values.disks)
    pvids = [_command(values, home, "disks", first, "cluster disks by WWN, PVIDs")]
    checks = (
        found + node_disks.require_pvids(values.disks, home) + node_disks.no_reserve(values.disks)
    )
    reserve = []
    for name in spec.node_names:
        body = checks if name == home else node_prepare.cfgmgr() + checks
        reserve.append(_command(values, name, "disks", body, "PVIDs read, no_reserve"))
    return [pvids, reserve]


def cluster(spec: ClusterSpec, topology: Topology) -> NodeCommand:
    values = values_for(spec, topology)
    body = node_cluster.cluster(spec, values)
    return _command(values, spec.home_node, "cluster", body, "clmgr add cluster, repositories")


def resources(spec: ClusterSpec, topology: Topology) -> NodeCommand:
    values = values_for(spec, topology)
    body = node_cluster.resources(spec, values)
    description = "service IP, application, volume group, resource group"
    return _command(values, spec.home_node, "resources", body, description)


def sync(spec: ClusterSpec, topology: Topology) -> NodeCommand:
    values = values_for(spec, topology)
    return _command(values, spec.home_node, "sync", node_cluster.sync(), "clmgr sync cluster")


def online(spec: ClusterSpec, topology: Topology) -> NodeCommand:
    values = values_for(spec, topology)
    body = node_cluster.online(spec)
    return _command(values, spec.home_node, "online", body, "cluster services started")


def verify_script() -> str:
    """Read-only: each command's output under a `=== COMMAND` header (`parse.sections`)."""
    return (
        "".join(
            f"echo {quote(SECTION_MARK + command)}\n{command} 2>&1\n" for command in VERIFY_COMMANDS
        )
        + "exit 0\n"
    )


def verify_commands(spec: ClusterSpec, topology: Topology) -> list[NodeCommand]:
    """Per node: the cluster manager's state, CAA's view of the nodes, the resource groups
    and the cluster's attributes, in one read-only script (`health.node_observation`)."""
    del topology  # the same on every topology: kept for the steps' one signature
    return [
        NodeCommand(name, "verify", verify_script(), "cluster state as this node sees it")
        for name in spec.node_names
    ]


def application(spec: ClusterSpec, topology: Topology) -> NodeCommand | None:
    """The spec's application command, once, on the home node (None when it has none)."""
    del topology
    command = spec.application_command
    if command is None:
        return None
    return NodeCommand(
        spec.home_node,
        "application",
        command.command,
        "the application deployment command",
        timeout=command.timeout,
    )
