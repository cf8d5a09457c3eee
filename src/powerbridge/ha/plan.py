"""`ha plan`: everything the batch planner checks for the cluster's nodes and disks, plus
PowerHA's own rules; what a create would make, with nothing created.

```python
async with Cloud.connect("powervc") as cloud:
    plan = await plan_cluster(cloud, spec, public_key_fingerprint=identity.fingerprint)
if not plan.ok:
    print(plan.blocks[0])          # "line 12: service IP 10.0.0.5 is not in a subnet ..."
```

The cloud is read once (`fetch_view`), plus the key pair and the ports holding the service
address. `ClusterPlan.plan` is the deploy `Plan` the create step applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from powerbridge.client import Cloud, NotFound
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.cloudview import Image as CloudImage
from powerbridge.deploy.cloudview import Network as CloudNetwork
from powerbridge.deploy.live import fetch_view
from powerbridge.deploy.plan_model import Block, Kind, Plan, name_list
from powerbridge.deploy.planner import build_plan
from powerbridge.ha.deployment import rule_policy, service_port_name, to_deployment
from powerbridge.ha.identity import nova_fingerprint
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.plan_checks import (
    Finding,
    host_findings,
    key_pair_findings,
    level_findings,
    node_name_findings,
    policy_findings,
    repository_findings,
    service_ip_findings,
)

__all__ = ["ClusterPlan", "ClusterRow", "Finding", "plan_cluster"]

# which spec key a deploy block is about, for its line
BLOCK_KEYS = {
    Kind.IMAGE: "image",
    Kind.COMPUTE_TEMPLATE: "template",
    Kind.NETWORK: "network",
    Kind.HOST_GROUP: "placement.host_group",
    Kind.STORAGE_CONNECTIVITY_GROUP: "placement.storage_connectivity_group",
    Kind.STORAGE_TEMPLATE: "shared_storage.storage_template",
    Kind.COLLOCATION_RULE: "collocation_rule",
}


@dataclass(frozen=True)
class ClusterRow:
    """One line of the plan table: what will be created (or is there), and how."""

    action: str
    kind: str
    name: str
    details: str


@dataclass(frozen=True)
class ClusterPlan:
    """The deploy plan of the nodes and disks, what the HA checks found, and the cloud read.

    `key_pair_exists` False: create makes the pair from the private key's public half."""

    spec: ClusterSpec
    plan: Plan
    view: CloudView
    findings: tuple[Finding, ...]
    key_pair_exists: bool

    @property
    def blocks(self) -> tuple[Finding, ...]:
        """Every reason not to create: the HA checks' first, then the deploy planner's."""
        own = tuple(f for f in self.findings if f.severity == "block")
        return own + tuple(self._deploy_finding(block) for block in self._deploy_blocks())

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.blocks

    def _deploy_blocks(self) -> list[Block]:
        # a hard rule's host shortfall is said once, by the HA check naming the spec key
        said = any(f.code == "hosts" and f.severity == "block" for f in self.findings)
        return [b for b in self.plan.blocks if not (said and b.code == "collocation")]

    def _deploy_finding(self, block: Block) -> Finding:
        key = BLOCK_KEYS.get(block.kind)
        if key is None and block.kind is Kind.VOLUME:
            key = "repository" if block.name.endswith("-repository") else "shared_storage"
        line = self.spec.line_of(key) if key else None
        return Finding("block", block.code, block.message, key, line)

    def rows(self) -> list[ClusterRow]:
        """PowerVC's side (rule, volumes, servers, key pair, port), then PowerHA's objects."""
        order = {Kind.COLLOCATION_RULE: 0, Kind.VOLUME: 1, Kind.SERVER: 2}
        deploy_rows = [row for row in self.plan.rows() if row.action.value != "block"]
        deploy_rows.sort(key=lambda row: order.get(row.kind, 3))  # stable: spec order kept
        rows = [
            ClusterRow(row.action.value, row.kind.label, row.name, row.details)
            for row in deploy_rows
        ]
        spec = self.spec
        if not self.key_pair_exists:
            rows.append(ClusterRow("create", "key pair", spec.ssh.key_pair, "from the SSH key"))
        if spec.service_ip.allocate:
            details = f"reserves a free address of {spec.network} for the service IP"
            rows.append(ClusterRow("create", "port", service_port_name(spec.name), details))
        rows += _powerha_rows(spec)
        rows += [ClusterRow("warning", "check", f.key or "", str(f)) for f in self.warnings]
        rows += [ClusterRow("block", "check", f.key or "", str(f)) for f in self.blocks]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.spec.name,
            "ok": self.ok,
            "key_pair": {"name": self.spec.ssh.key_pair, "exists": self.key_pair_exists},
            "blocks": [f.to_dict() for f in self.blocks],
            "warnings": [f.to_dict() for f in self.warnings],
            "deployment": self.plan.to_dict(),
            "powerha": [
                {"kind": row.kind, "name": row.name, "details": row.details}
                for row in _powerha_rows(self.spec)
            ],
        }


def _powerha_rows(spec: ClusterSpec) -> list[ClusterRow]:
    storage, group, app = spec.shared_storage, spec.resource_group, spec.application
    address = "allocated" if spec.service_ip.allocate else spec.service_ip.address
    rows = [
        ClusterRow(
            "create", "cluster", spec.name, f"{spec.cluster_type} of {name_list(spec.node_names)}"
        ),
        ClusterRow(
            "create", "repository", f"{spec.name}-repository", f"{spec.repository.size_gb} GB"
        ),
        ClusterRow("create", "service IP", spec.service_ip.label, str(address)),
        ClusterRow(
            "create",
            "application controller",
            app.name,
            f"start {app.start.path}, stop {app.stop.path}",
        ),
    ]
    if app.monitor is not None:
        details = f"{app.monitor.script.path} every {app.monitor.interval} s"
        rows.append(ClusterRow("create", "application monitor", app.monitor.name, details))
    disks = f"{storage.count} x {storage.size_gb} GB"
    rows.append(ClusterRow("create", "volume group", storage.volume_group, disks))
    for lv in storage.logical_volumes:
        rows.append(ClusterRow("create", "logical volume", lv.name, f"{lv.size_mb} MB {lv.type}"))
    for fs in storage.file_systems:
        rows.append(ClusterRow("create", "file system", fs.mount_point, f"on {fs.logical_volume}"))
    policies = f"{group.startup} / {group.fallover} / {group.fallback}, home {spec.home_node}"
    rows.append(ClusterRow("create", "resource group", group.name, policies))
    return rows


async def plan_cluster(
    cloud: Cloud,
    spec: ClusterSpec,
    *,
    public_key_fingerprint: str | None,
    authorized_keys: Sequence[str] = (),
) -> ClusterPlan:
    """The plan for `spec` on `cloud`; `public_key_fingerprint` (nova's MD5 form) is the
    login key's, checked against an existing key pair (None: not checked); the nodes get
    `authorized_keys` through cloud-config user data, so a login key among them needs no
    key pair of its own (the portal's, beside its user's pair)."""
    view = await fetch_view(cloud)
    findings = list(repository_findings(spec))
    # a repository size the checks refuse still lets the rest of the deployment be planned
    sized = spec if not findings else replace(spec, repository=replace(spec.repository, size_gb=1))
    plan = build_plan(to_deployment(sized, authorized_keys), view)
    if public_key_fingerprint in {nova_fingerprint(key) for key in authorized_keys}:
        public_key_fingerprint = None  # the user data lets the login key in whatever the pair
    network = _one(view.network_index.find(spec.network))
    holders = await _service_ip_holders(cloud, spec, network)
    existing = await _key_pair_fingerprint(cloud, spec.ssh.key_pair)
    findings += policy_findings(spec)
    findings += level_findings(spec, _one(view.image_index.find(spec.image)))
    findings += node_name_findings(spec)
    findings += host_findings(spec, view, plan, _policy(spec, view))
    findings += service_ip_findings(spec, network, holders)
    findings += key_pair_findings(spec, existing, public_key_fingerprint)
    return ClusterPlan(spec, plan, view, tuple(findings), existing is not None)


def _one(found: list[CloudImage] | list[CloudNetwork]) -> Any:
    return found[0] if len(found) == 1 else None


def _policy(spec: ClusterSpec, view: CloudView) -> str:
    if spec.collocation_rule is None:
        return rule_policy(spec)
    rules = view.rule_index.find(spec.collocation_rule)
    return rules[0].policy if len(rules) == 1 else ""


async def _service_ip_holders(
    cloud: Cloud, spec: ClusterSpec, network: CloudNetwork | None
) -> list[str]:
    """The ports, other than the cluster's own reservation, holding the service address."""
    address = spec.service_ip.address
    if spec.service_ip.allocate or address is None or network is None:
        return []
    ports = await cloud.network.ports(network_id=network.id, fixed_ip=address)
    own = service_port_name(spec.name)
    return [port.name or port.id for port in ports if port.name != own and address in port.ips]


async def _key_pair_fingerprint(cloud: Cloud, name: str) -> str | None:
    try:
        return (await cloud.compute.keypair(name)).fingerprint
    except NotFound:
        return None
