"""The checks `ha plan` adds to the batch planner's: PowerHA's rules, the service address, the
hosts an anti-affinity rule needs, the node names, the key pair.

Each check is pure (the spec, the cloud as `fetch_view` read it, the deploy plan) and returns
`Finding`s that cite the spec line and say what to change.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from powerbridge import powerha
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.cloudview import Image as CloudImage
from powerbridge.deploy.cloudview import Network as CloudNetwork
from powerbridge.deploy.plan_model import Plan
from powerbridge.ha.model import ClusterSpec

__all__ = [
    "LEVEL_PROPERTY",
    "Finding",
    "host_findings",
    "key_pair_findings",
    "level_findings",
    "node_name_findings",
    "policy_findings",
    "repository_findings",
    "service_ip_findings",
]

Severity = Literal["block", "warning"]
LEVEL_PROPERTY = "powerha_version"  # the image property naming its PowerHA level
# an AIX host name that is also a valid PowerHA node name: a letter, then letters, digits
# and inner hyphens, at most 63 characters (one DNS label)
NODE_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
GB_MB = 1024


@dataclass(frozen=True)
class Finding:
    """One problem the plan found: `block`s stop a create, `warning`s are shown."""

    severity: Severity
    code: str
    message: str
    key: str | None = None  # the spec key it is about
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return where + self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "key": self.key,
            "line": self.line,
        }


def _at(spec: ClusterSpec, key: str, severity: Severity, code: str, message: str) -> Finding:
    return Finding(severity, code, message, key, spec.line_of(key))


def repository_findings(spec: ClusterSpec) -> Iterator[Finding]:
    size_mb = spec.repository.size_gb * GB_MB
    if not powerha.REPOSITORY_MIN_MB <= size_mb <= powerha.REPOSITORY_MAX_MB:
        yield _at(
            spec,
            "repository.size_gb",
            "block",
            "repository_size",
            f"repository.size_gb is {spec.repository.size_gb}: a CAA repository disk is 512 MB"
            f" to 460 GB, and volumes are whole GB: give 1 to"
            f" {powerha.REPOSITORY_MAX_MB // GB_MB}",
        )


def policy_findings(spec: ClusterSpec) -> Iterator[Finding]:
    group = spec.resource_group
    errors = powerha.policy_errors(
        group.startup,
        group.fallover,
        group.fallback,
        group.node_priority_policy,
        has_service_labels=True,  # the cluster's service IP is always in its group
    )
    for error in errors:
        yield _at(
            spec,
            "resource_group",
            "block",
            "policy",
            f"resource group {group.name}: {_plain(error)}; change resource_group's policies",
        )


def level_findings(spec: ClusterSpec, image: CloudImage | None) -> Iterator[Finding]:
    """What the spec asks of PowerHA against the level the image says it carries."""
    if image is None:
        return  # the deploy plan says the image is missing
    version = image.properties.get(LEVEL_PROPERTY)
    if not version:
        yield _at(
            spec,
            "image",
            "warning",
            "level_unknown",
            f"image {image.name} has no {LEVEL_PROPERTY} property: the PowerHA level is"
            " checked on the nodes (halevel -s) when the cluster is created",
        )
        return
    if spec.heartbeat is not None:
        fix = "give heartbeat: unicast or multicast"
        if spec.heartbeat == "unicast":
            fix = (
                f"use an image with PowerHA {_dotted(powerha.UNICAST_FROM)} or later, or"
                " heartbeat: multicast"
            )
        for error in powerha.check_heartbeat(version, spec.heartbeat):
            yield _at(
                spec,
                "heartbeat",
                "block",
                "level",
                f"image {image.name} has PowerHA {version}: {_plain(error)}; {fix}",
            )
    if spec.split_merge is not None:
        split, merge = spec.split_merge.split, spec.split_merge.merge
        for error in powerha.check_split_merge(version, spec.cluster_type, split, merge):
            yield _at(
                spec,
                "split_merge",
                "block",
                "level",
                f"image {image.name} has PowerHA {version}: {_plain(error)}; change"
                " split_merge, or use an image with PowerHA"
                f" {_dotted(powerha.UNIVERSAL_SPLIT_MERGE_FROM)} or later",
            )


def node_name_findings(spec: ClusterSpec) -> Iterator[Finding]:
    for index, node in enumerate(spec.nodes):
        if NODE_NAME.fullmatch(node.name) is None:
            yield _at(
                spec,
                f"nodes.{index}",
                "block",
                "node_name",
                f"node name {node.name!r} is not a valid AIX host name: a letter, then letters,"
                " digits and inner hyphens, at most 63 characters",
            )


def host_findings(spec: ClusterSpec, view: CloudView, plan: Plan, policy: str) -> list[Finding]:
    """Enough distinct hosts for the nodes under the rule's policy."""
    if not view.hosts_visible or not plan.server_creates:
        return []
    hosts = plan.hosts
    nodes = len(spec.nodes)
    if len(hosts) >= nodes:
        return []
    names = ", ".join(sorted(hosts)) or "none"
    counted = f"{nodes} nodes but {len(hosts)} usable hosts can take them ({names})"
    if policy == "anti-affinity":
        return [
            _at(
                spec,
                "anti_affinity",
                "block",
                "hosts",
                f"hard anti-affinity needs a host per node: {counted}; add hosts to the"
                " placement, use fewer nodes, or anti_affinity: soft",
            )
        ]
    if policy == "soft-anti-affinity":
        return [
            _at(
                spec,
                "anti_affinity",
                "warning",
                "hosts",
                f"soft anti-affinity: {counted}; some nodes will share a host, so one host"
                " failure stops more than one node",
            )
        ]
    return []


def service_ip_findings(
    spec: ClusterSpec, network: CloudNetwork | None, holders: list[str]
) -> Iterator[Finding]:
    """The service address: in the node network's subnet, free (`holders` are the ports other
    than the cluster's own that hold it), no node's fixed address."""
    address = spec.service_ip.address
    if spec.service_ip.allocate or address is None or network is None:
        return
    key = "service_ip.address"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        yield _at(spec, key, "block", "service_ip", f"service IP {address!r} is no IP address")
        return
    cidrs = [ipaddress.ip_network(cidr, strict=False) for cidr in network.cidrs]
    if cidrs and not any(ip in cidr for cidr in cidrs):
        subnets = ", ".join(network.cidrs)
        yield _at(
            spec,
            key,
            "block",
            "service_ip",
            f"service IP {address} is not in a subnet of network {network.name} ({subnets}):"
            " give an address in the node network's subnet, or allocate: true",
        )
    nodes = [node.name for node in spec.nodes if node.fixed_ip == address]
    if nodes:
        yield _at(
            spec,
            key,
            "block",
            "service_ip",
            f"service IP {address} is node {nodes[0]}'s fixed IP: the service address must be"
            " one no node has",
        )
    elif address in network.gateways:
        yield _at(spec, key, "block", "service_ip", f"service IP {address} is the subnet's gateway")
    elif holders:
        yield _at(
            spec,
            key,
            "block",
            "service_ip",
            f"service IP {address} is taken (port {holders[0]} holds it): give a free address"
            " of the subnet, or allocate: true",
        )


def key_pair_findings(
    spec: ClusterSpec, existing_fingerprint: str | None, wanted: str | None
) -> Iterator[Finding]:
    """An existing key pair must hold the public half of the key the workflow logs in with."""
    if existing_fingerprint is None or wanted is None:
        return
    if existing_fingerprint.strip().lower() == wanted.strip().lower():
        return
    name = spec.ssh.key_pair
    yield _at(
        spec,
        "ssh.key_pair",
        "block",
        "key_pair",
        f"key pair {name} has fingerprint {existing_fingerprint} but the private key's is"
        f" {wanted}: the nodes would refuse the login; give ssh.key_pair a new name (created"
        " from this key), use the private key the pair was made from, or delete the pair in"
        " PowerVC",
    )


def _plain(error: str) -> str:
    """PowerHA's `ERROR: ...` line as part of a sentence."""
    return error.removeprefix("ERROR:").strip().rstrip(".")


def _dotted(level: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in level)
