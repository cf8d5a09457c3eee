"""A cluster's state and status from what PowerVC and the nodes report: the one place the
product decides "Active / Normal". The table is in docs/ha.md, "State and status".

State: Failed (the job that builds it failed) > Deploying (that job runs, or stopped midway:
status Warning, continue it with `--resume`) > Offline (cluster services stopped on every
node) > Active. Status: Error (a group in ERROR or online nowhere,
a node's cluster manager unstable) > Warning (a node down, a node joining, the group away from
its home node, unsynchronised changes) > Normal. `reasons` says why, one line each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from powerbridge.ha import parse

__all__ = [
    "ClusterObservation",
    "GroupObservation",
    "Health",
    "NodeObservation",
    "assess",
    "cluster_observation",
    "group_observations",
    "node_observation",
]

State = Literal["Active", "Offline", "Deploying", "Failed"]
Status = Literal["Normal", "Warning", "Error"]

STOPPED = {"ST_INIT", "NOT_CONFIGURED"}  # cluster services not running on the node
BROKEN = {"ST_UNSTABLE", "ST_RP_FAILED"}  # the cluster manager cannot settle
GROUP_ERRORS = {"ERROR", "TEMPORARY ERROR", "ERROR SECONDARY"}
GROUP_MOVING = {"ACQUIRING", "RELEASING", "ACQUIRING SECONDARY", "RELEASING SECONDARY"}


@dataclass(frozen=True)
class NodeObservation:
    """One node as seen now: PowerVC's server status, SSH, clstrmgrES and CAA states."""

    name: str
    server_status: str | None = None  # ACTIVE, SHUTOFF, ERROR, ... None: unknown
    reachable: bool = True
    clstrmgr_state: str | None = None  # ST_STABLE, ST_INIT, ... None: unknown
    caa_state: str | None = None  # UP, DOWN, None: unknown
    reason: str | None = None  # why it could not be read (SSH refused, ...)


@dataclass(frozen=True)
class GroupObservation:
    """A resource group: its state on each node (ONLINE, OFFLINE, ERROR, ...)."""

    name: str
    rows: Mapping[str, str] = field(default_factory=dict)

    def online_on(self) -> list[str]:
        return [node for node, state in self.rows.items() if state == "ONLINE"]


@dataclass(frozen=True)
class ClusterObservation:
    nodes: tuple[NodeObservation, ...]
    groups: tuple[GroupObservation, ...]
    home_node: str
    unsynced: bool = False
    deploying: bool = False
    failed: bool = False
    interrupted: bool = False  # the create stopped midway (Ctrl-C, a kill): not a failure


@dataclass(frozen=True)
class Health:
    state: State
    status: Status
    reasons: tuple[str, ...]
    group_node: str | None  # where the first group is online (None: nowhere)


def node_observation(
    name: str, verify_output: str, *, server_status: str | None = None
) -> NodeObservation:
    """A node from its verify script's output (`node_commands.verify_commands`)."""
    found = parse.sections(verify_output)
    # CAA may name nodes by their FQDN: compare short names
    caa = {
        n.split(".")[0]: s for n, s in parse.lscluster_nodes(found.get("lscluster -m", "")).items()
    }
    return NodeObservation(
        name=name,
        server_status=server_status,
        reachable=True,
        clstrmgr_state=parse.clstrmgr_state(found.get("lssrc -ls clstrmgrES", "")),
        caa_state=caa.get(name.split(".")[0]),
    )


def group_observations(rginfo_output: str) -> tuple[GroupObservation, ...]:
    """The groups of a `clRGinfo -s` output, in the order listed."""
    rows: dict[str, dict[str, str]] = {}
    for row in parse.rginfo_rows(rginfo_output):
        rows.setdefault(row.group, {})[row.node] = row.state
    return tuple(GroupObservation(name, states) for name, states in rows.items())


def cluster_observation(
    home_node: str,
    outputs: Mapping[str, str | None],
    *,
    server_status: Mapping[str, str | None] | None = None,
    unreachable: Mapping[str, str] | None = None,
) -> ClusterObservation:
    """The cluster from every node's verify output (None: the node could not be read;
    `unreachable` says why). Groups and unsynchronised changes come from the first node
    whose output shows them, as each node reports the whole cluster."""
    statuses = server_status or {}
    why = unreachable or {}
    nodes: list[NodeObservation] = []
    groups: tuple[GroupObservation, ...] = ()
    unsynced = False
    for name, output in outputs.items():
        if output is None:
            nodes.append(NodeObservation(name, statuses.get(name), False, reason=why.get(name)))
            continue
        nodes.append(node_observation(name, output, server_status=statuses.get(name)))
        found = parse.sections(output)
        groups = groups or group_observations(found.get("clRGinfo -s", ""))
        query = parse.clmgr_cluster(found.get("clmgr query cluster", ""))
        unsynced = unsynced or bool(query.unsynced_changes)
    return ClusterObservation(tuple(nodes), groups, home_node, unsynced=unsynced)


def _node_down(node: NodeObservation) -> str | None:
    """Why the node does not take part, or None when it is up."""
    if node.server_status not in (None, "ACTIVE"):
        return f"node {node.name} is down (server {node.server_status})"
    if not node.reachable:
        return f"node {node.name} cannot be reached" + (f": {node.reason}" if node.reason else "")
    if node.caa_state not in (None, "UP"):
        return f"node {node.name} is {node.caa_state} in CAA"
    return None


def _running(node: NodeObservation) -> bool:
    return _node_down(node) is None and node.clstrmgr_state not in (None, *STOPPED)


def _node_reasons(observation: ClusterObservation) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    running = any(_running(node) for node in observation.nodes)
    for node in observation.nodes:
        down = _node_down(node)
        state = node.clstrmgr_state
        if down is not None:
            warnings.append(down)
        elif state in BROKEN:
            errors.append(f"the cluster is unstable on {node.name} ({state})")
        elif running and state in STOPPED:
            warnings.append(f"cluster services are stopped on {node.name} ({state})")
        elif state not in (None, "ST_STABLE", *STOPPED):
            warnings.append(f"{node.name} is processing an event ({state})")
    return errors, warnings


def _group_reasons(observation: ClusterObservation) -> tuple[list[str], list[str]]:
    errors, warnings = [], []
    for group in observation.groups:
        failing = [n for n, s in group.rows.items() if s in GROUP_ERRORS]
        moving = [n for n, s in group.rows.items() if s in GROUP_MOVING]
        online = group.online_on()
        if failing:
            errors.append(f"resource group {group.name} is in ERROR on {', '.join(failing)}")
        elif moving:
            warnings.append(f"resource group {group.name} is moving ({', '.join(moving)})")
        elif not online:
            errors.append(f"resource group {group.name} is online on no node")
        elif observation.home_node not in online:
            warnings.append(
                f"resource group {group.name} is on {', '.join(online)}, not its home node"
                f" {observation.home_node}"
            )
    return errors, warnings


def _group_node(observation: ClusterObservation) -> str | None:
    if not observation.groups:
        return None
    online = observation.groups[0].online_on()
    if observation.home_node in online:
        return observation.home_node
    return online[0] if online else None


def assess(observation: ClusterObservation) -> Health:
    """State and status, with the reasons behind them (empty when Active / Normal)."""
    group_node = _group_node(observation)
    if observation.failed:
        return Health("Failed", "Error", ("the job building the cluster failed",), group_node)
    if observation.deploying:
        return Health("Deploying", "Normal", ("the cluster is being built",), group_node)
    if observation.interrupted:
        stopped_midway = ("the create stopped midway: run it again with --resume",)
        return Health("Deploying", "Warning", stopped_midway, group_node)
    node_errors, node_warnings = _node_reasons(observation)
    if not any(_running(node) for node in observation.nodes):
        # "stopped" only when some node said so; with every node down nothing said anything
        anyone = any(_node_down(node) is None for node in observation.nodes)
        why = "cluster services are stopped on every node" if anyone else "no node is up to ask"
        stopped = (why, *node_errors, *node_warnings)
        return Health("Offline", "Warning" if node_warnings else "Normal", stopped, group_node)
    group_errors, group_warnings = _group_reasons(observation)
    errors = node_errors + group_errors
    warnings = node_warnings + group_warnings
    if observation.unsynced:
        warnings.append("the configuration has changes not synchronised (clmgr sync cluster)")
    status: Status = "Error" if errors else "Warning" if warnings else "Normal"
    return Health("Active", status, (*errors, *warnings), group_node)
