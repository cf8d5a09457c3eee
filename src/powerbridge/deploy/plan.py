"""The pure planner: a `DeploymentSpec` and a `CloudView` become a `Plan`, with no I/O.

```python
plan = build_plan(spec, view)
if not plan.ok:
    for block in plan.blocks:
        print(block.message)
```

A plan is what apply will do, in the same objects: `creates` holds volumes first, then
collocation rules, then servers, each with the exact request body apply sends (`request()`),
references to other plan items (`Ref`) filled in with ids as apply learns them. `unchanged`
lists what this deployment already has; `blocks` says why nothing may be created (`ok` is
False when there is any).

What the planner does, in order:

1. Identity. A server or volume of the spec's name that carries metadata
   `powerbridge:deployment=<deployment>` is this deployment's: unchanged (matched by name;
   its other properties are shown, not compared). One without the tag, or with another
   deployment's, is a conflict and blocks. A collocation rule of the same name and policy is
   reused; another policy blocks.
2. Resolution. Every name (compute template, image, network, storage template, host, host
   group, storage connectivity group, collocation rule) becomes an id, accepting an id too;
   an unknown name suggests the closest known one, a name several resources share is
   ambiguous. Only items whose every reference resolves are listed in `creates`.
3. PowerVM rules (`powerbridge.powervm.check_template`) on each compute template merged with
   the server's `powervm:` overrides and storage connectivity group. A server with overrides
   or a group sends an inline flavor with the merged extra specs, otherwise `flavorRef`.
4. Capacity it can see: memory and processing units of the usable hosts each server may land
   on (its host, host group and SCG), checked for every such set of hosts against the servers
   confined to it, and one host able to take each server; storage provider free space; free
   IP addresses per network, fixed IPs inside the network's subnets and unused; the project's
   instance, core and RAM limits; collocation feasibility (anti-affinity: enough distinct
   usable hosts not holding a member; affinity: a common host with room for all members).

Every lookup goes through an index built once per view and every per-template or per-domain
computation is cached, so planning is linear in the number of servers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeAlias, TypeVar

from powerbridge import powervm
from powerbridge.deploy.cloudview import (
    UNLIMITED,
    CloudView,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    Index,
    Named,
    Network,
    StorageConnectivityGroup,
)
from powerbridge.deploy.cloudview import CollocationRule as ExistingRule
from powerbridge.deploy.cloudview import Volume as ExistingVolume
from powerbridge.deploy.model import (
    DEPLOYMENT_TAG,
    CollocationRuleSpec,
    DeploymentSpec,
    ServerSpec,
    VolumeSpec,
)
from powerbridge.names import closest

__all__ = [
    "Action",
    "Block",
    "CollocationRuleCreate",
    "Create",
    "Kind",
    "NetworkAttachment",
    "Plan",
    "PlanRow",
    "Ref",
    "ServerCreate",
    "Unchanged",
    "VolumeCreate",
    "build_plan",
]


class Kind(StrEnum):
    """What a plan item or a block is about."""

    VOLUME = "volume"
    COLLOCATION_RULE = "collocation_rule"
    SERVER = "server"
    COMPUTE_TEMPLATE = "compute_template"
    IMAGE = "image"
    NETWORK = "network"
    STORAGE_TEMPLATE = "storage_template"
    STORAGE_PROVIDER = "storage_provider"
    HOST = "host"
    HOST_GROUP = "host_group"
    STORAGE_CONNECTIVITY_GROUP = "storage_connectivity_group"
    PROJECT = "project"

    @property
    def label(self) -> str:
        """The kind in words: `compute template`."""
        return self.value.replace("_", " ")


class Action(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"
    BLOCK = "block"


RefKey: TypeAlias = tuple[Kind, str]


METADATA_LIMIT = 255  # nova: a metadata key or value


@dataclass(frozen=True)
class Ref:
    """A plan item another one needs: its id when it exists, else filled in by apply."""

    kind: Kind
    name: str
    id: str | None = None

    @property
    def key(self) -> RefKey:
        return self.kind, self.name

    @property
    def placeholder(self) -> str:
        """What stands for the id in a rendered request before apply knows it."""
        return f"${{{self.kind.value}:{self.name}}}"

    def resolve(self, ids: Mapping[RefKey, str] | None = None) -> str:
        """The id: known, else from `ids` (what apply created), else the placeholder."""
        if self.id is not None:
            return self.id
        if ids is not None and self.key in ids:
            return ids[self.key]
        return self.placeholder


@dataclass(frozen=True)
class NetworkAttachment:
    network: str
    network_id: str
    fixed_ip: str | None = None


@dataclass(frozen=True)
class VolumeCreate:
    """A volume to create; `attach_to` names the servers of this spec that attach it."""

    kind: ClassVar[Kind] = Kind.VOLUME
    name: str
    size_gb: int
    storage_template: str | None
    storage_template_id: str | None
    provider: str | None
    shared: bool
    description: str | None
    metadata: Mapping[str, str] = field(hash=False)
    attach_to: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        """The Cinder `POST /volumes` body."""
        volume: dict[str, Any] = {
            "name": self.name,
            "size": self.size_gb,
            "metadata": dict(self.metadata),
            "multiattach": self.shared,
        }
        if self.storage_template_id is not None:
            volume["volume_type"] = self.storage_template_id
        if self.description is not None:
            volume["description"] = self.description
        return {"volume": volume}

    def details(self) -> str:
        template = self.storage_template or "the default storage template"
        text = f"{self.size_gb} GB on {template}"
        if self.shared:
            text += ", shared (multiattach)"
        if self.attach_to:
            text += ", attached to " + _names(self.attach_to)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.CREATE.value,
            "kind": self.kind.value,
            "name": self.name,
            "size_gb": self.size_gb,
            "storage_template": self.storage_template,
            "storage_template_id": self.storage_template_id,
            "provider": self.provider,
            "shared": self.shared,
            "attach_to": list(self.attach_to),
            "request": self.request(),
        }


@dataclass(frozen=True)
class CollocationRuleCreate:
    """A collocation rule (Nova server group) to create."""

    kind: ClassVar[Kind] = Kind.COLLOCATION_RULE
    name: str
    policy: str
    members: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        """The Nova `POST /os-server-groups` body."""
        return {"server_group": {"name": self.name, "policies": [self.policy]}}

    def details(self) -> str:
        return f"{self.policy}" + (f", for {_names(self.members)}" if self.members else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.CREATE.value,
            "kind": self.kind.value,
            "name": self.name,
            "policy": self.policy,
            "members": list(self.members),
            "request": self.request(),
        }


@dataclass(frozen=True)
class ServerCreate:
    """A server to create, every name resolved.

    `flavor` is the inline flavor (merged extra specs) when the server has `powervm:`
    overrides or a storage connectivity group, else None and `template_id` is the flavorRef.
    `volumes` and `collocation_rule` reference plan items; `user_data` is a file path apply
    reads (the planner does no I/O). `memory_mb`, `proc_units` and `vcpus` are what the server
    claims; `hosts` are the usable hosts it may land on.
    """

    kind: ClassVar[Kind] = Kind.SERVER
    name: str
    template: str
    template_id: str
    flavor: Mapping[str, Any] | None = field(hash=False)
    image: str
    image_id: str
    networks: tuple[NetworkAttachment, ...]
    volumes: tuple[Ref, ...]
    availability_zone: str | None
    collocation_rule: Ref | None
    metadata: Mapping[str, str] = field(hash=False)
    user_data: str | None
    memory_mb: int
    proc_units: Decimal
    vcpus: int
    hosts: frozenset[str] = field(default=frozenset(), repr=False)

    def request(self, ids: Mapping[RefKey, str] | None = None) -> dict[str, Any]:
        """The Nova `POST /servers` body; `ids` gives the ids of created volumes and rules."""
        server: dict[str, Any] = {"name": self.name, "imageRef": self.image_id}
        if self.flavor is not None:
            server["flavor"] = dict(self.flavor)
        else:
            server["flavorRef"] = self.template_id
        server["networks"] = [_network_request(item) for item in self.networks]
        if self.volumes:
            server["block_device_mapping_v2"] = [
                {
                    "uuid": ref.resolve(ids),
                    "source_type": "volume",
                    "destination_type": "volume",
                    "delete_on_termination": False,
                }
                for ref in self.volumes
            ]
        if self.availability_zone is not None:
            server["availability_zone"] = self.availability_zone
        server["metadata"] = dict(self.metadata)
        body: dict[str, Any] = {"server": server}
        if self.collocation_rule is not None:
            body["os:scheduler_hints"] = {"group": self.collocation_rule.resolve(ids)}
        return body

    def details(self) -> str:
        networks = ", ".join(
            item.network + (f" {item.fixed_ip}" if item.fixed_ip else "") for item in self.networks
        )
        parts = [self.template + (" + overrides" if self.flavor else ""), self.image, networks]
        if self.volumes:
            parts.append("volumes " + ", ".join(ref.name for ref in self.volumes))
        if self.availability_zone:
            parts.append(f"zone {self.availability_zone}")
        if self.collocation_rule:
            parts.append(f"rule {self.collocation_rule.name}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.CREATE.value,
            "kind": self.kind.value,
            "name": self.name,
            "template": self.template,
            "image": self.image,
            "volumes": [ref.name for ref in self.volumes],
            "collocation_rule": self.collocation_rule.name if self.collocation_rule else None,
            "user_data": self.user_data,
            "memory_mb": self.memory_mb,
            "proc_units": powervm.format_units(self.proc_units),
            "vcpus": self.vcpus,
            "request": self.request(),
        }


Create: TypeAlias = VolumeCreate | CollocationRuleCreate | ServerCreate


@dataclass(frozen=True)
class Unchanged:
    """Something this deployment already has."""

    kind: Kind
    name: str
    id: str
    details: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.UNCHANGED.value,
            "kind": self.kind.value,
            "name": self.name,
            "id": self.id,
            "details": self.details,
        }


@dataclass(frozen=True)
class Block:
    """Why the plan may not be applied: `kind`/`name` is what is at fault, `affects` lists the
    spec's servers or volumes it stops, `code` is a stable slug for programs."""

    kind: Kind
    name: str
    message: str
    code: str
    affects: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.BLOCK.value,
            "kind": self.kind.value,
            "name": self.name,
            "code": self.code,
            "message": self.message,
            "affects": list(self.affects),
        }


@dataclass(frozen=True)
class PlanRow:
    """One line of a plan table."""

    action: Action
    kind: Kind
    name: str
    details: str


@dataclass(frozen=True)
class Plan:
    deployment: str
    creates: tuple[Create, ...]
    unchanged: tuple[Unchanged, ...]
    blocks: tuple[Block, ...]

    @property
    def ok(self) -> bool:
        """Nothing blocks: apply may run."""
        return not self.blocks

    @property
    def volume_creates(self) -> tuple[VolumeCreate, ...]:
        return tuple(item for item in self.creates if isinstance(item, VolumeCreate))

    @property
    def rule_creates(self) -> tuple[CollocationRuleCreate, ...]:
        return tuple(item for item in self.creates if isinstance(item, CollocationRuleCreate))

    @property
    def server_creates(self) -> tuple[ServerCreate, ...]:
        return tuple(item for item in self.creates if isinstance(item, ServerCreate))

    @property
    def hosts(self) -> frozenset[str]:
        """Every usable host a server to create may land on."""
        return frozenset().union(*(item.hosts for item in self.server_creates))

    def existing_ids(self) -> dict[RefKey, str]:
        """The ids of unchanged items, by (kind, name)."""
        return {(item.kind, item.name): item.id for item in self.unchanged}

    def rows(self) -> list[PlanRow]:
        """A row per item: creates, then unchanged, then blocks."""
        rows = [
            PlanRow(Action.CREATE, item.kind, item.name, item.details()) for item in self.creates
        ]
        rows += [
            PlanRow(Action.UNCHANGED, item.kind, item.name, item.details) for item in self.unchanged
        ]
        rows += [PlanRow(Action.BLOCK, item.kind, item.name, item.message) for item in self.blocks]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-able data (`powerbridge deploy plan --format json`)."""
        return {
            "deployment": self.deployment,
            "ok": self.ok,
            "summary": {
                "create": len(self.creates),
                "unchanged": len(self.unchanged),
                "block": len(self.blocks),
            },
            "creates": [item.to_dict() for item in self.creates],
            "unchanged": [item.to_dict() for item in self.unchanged],
            "blocks": [item.to_dict() for item in self.blocks],
        }


def build_plan(spec: DeploymentSpec, view: CloudView) -> Plan:
    """The plan for `spec` against `view`: pure, deterministic, linear in the spec's size."""
    return _Planner(spec, view).plan()


# --- helpers -----------------------------------------------------------------------------------

_SHOWN_NAMES: Final = 5
_SCG_KEY: Final = powervm.Key.STORAGE_CONNECTIVITY_GROUP.value

T = TypeVar("T", bound=Named)
_ScgKey: TypeAlias = tuple[str, tuple[tuple[str, str], ...], str | None]


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def _network_request(item: NetworkAttachment) -> dict[str, str]:
    request = {"uuid": item.network_id}
    if item.fixed_ip:
        request["fixed_ip"] = item.fixed_ip
    return request


def _suggest(ref: str, known: Iterable[str]) -> str:
    close = closest(ref, known)
    return f"; did you mean '{close}'?" if close else ""


def _owner(metadata: Mapping[str, str]) -> str:
    owner = metadata.get(DEPLOYMENT_TAG)
    return f"belongs to deployment '{owner}'" if owner else f"has no {DEPLOYMENT_TAG} tag"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True)
class _Domain:
    """Where a server may land: the usable hosts its host, host group and SCG allow."""

    kind: Kind
    label: str
    hosts: frozenset[str]


@dataclass(frozen=True)
class _Placement:
    domain: _Domain
    zone: str | None


@dataclass(frozen=True)
class _TemplateCheck:
    violations: tuple[powervm.RuleViolation, ...]
    flavor: dict[str, Any] | None
    memory_mb: int
    proc_units: Decimal


@dataclass
class _Issue:
    """One problem shared by several servers (or volumes): reported once, naming them all."""

    kind: Kind
    name: str
    code: str
    message: str
    subject: str  # "server" or "volume"
    affects: list[str] = field(default_factory=list)

    def block(self) -> Block:
        noun = self.subject + ("s" if len(self.affects) > 1 else "")
        message = f"{noun} {_names(self.affects)}: {self.message}"
        return Block(self.kind, self.name, message, self.code, tuple(self.affects))


@dataclass
class _Demand:
    count: int = 0
    memory_mb: int = 0
    proc_units: Decimal = Decimal(0)
    claims: set[tuple[int, Decimal]] = field(default_factory=set)
    servers: list[str] = field(default_factory=list)

    def add(self, server: ServerCreate) -> None:
        self.count += 1
        self.memory_mb += server.memory_mb
        self.proc_units += server.proc_units
        self.claims.add((server.memory_mb, server.proc_units))
        self.servers.append(server.name)

    def merge(self, other: _Demand) -> None:
        self.count += other.count
        self.memory_mb += other.memory_mb
        self.proc_units += other.proc_units


@dataclass
class _Rule:
    """A collocation rule servers of this plan join: its policy and, if it exists, itself."""

    ref: Ref
    policy: str
    existing: ExistingRule | None = None
    members: list[ServerCreate] = field(default_factory=list)


# --- the planner --------------------------------------------------------------------------------


class _Planner:
    """One planning run. Problems are collected as issues and blocks; nothing stops early."""

    def __init__(self, spec: DeploymentSpec, view: CloudView) -> None:
        self.spec = spec
        self.view = view
        self.tag = {DEPLOYMENT_TAG: spec.name}
        self.users = spec.users_of()
        self.issues: dict[tuple[Kind, str, str, str, str], _Issue] = {}
        self.failed: set[tuple[str, str]] = set()  # (subject, name) with an issue
        self.blocks: list[Block] = []
        self.unchanged: list[Unchanged] = []
        self.volume_refs: dict[str, Ref] = {}
        self.existing_volumes: dict[str, ExistingVolume] = {}
        self.rules: dict[str, _Rule] = {}
        self.domains: dict[tuple[str | None, str | None, str | None], _Domain | str] = {}
        self.checks: dict[_ScgKey, _TemplateCheck] = {}
        self.server_domains: dict[str, _Domain] = {}

    def plan(self) -> Plan:
        volumes = [item for v in self.spec.volumes.values() if (item := self._volume(v))]
        rules = [r for r in self.spec.collocation_rules.values() if self._rule(r)]
        servers = [made for s in self.spec.servers if (made := self._server(s))]
        rule_creates = [
            CollocationRuleCreate(
                rule.name, rule.policy, tuple(m.name for m in self.rules[rule.name].members)
            )
            for rule in rules
        ]
        self._check_stranded(volumes)
        self._check_capacity(servers)
        self._check_storage(volumes)
        self._check_addresses(servers)
        self._check_limits(servers)
        for rule in self.rules.values():
            self._check_collocation(rule)
        blocks = [issue.block() for issue in self.issues.values()] + self.blocks
        creates: list[Create] = [*volumes, *rule_creates, *servers]
        return Plan(self.spec.name, tuple(creates), tuple(self.unchanged), tuple(blocks))

    # -- issues ------------------------------------------------------------------------------

    def _issue(
        self, kind: Kind, name: str, code: str, message: str, subject: str, affected: str
    ) -> None:
        key = (kind, name, code, message, subject)
        issue = self.issues.get(key)
        if issue is None:
            issue = self.issues[key] = _Issue(kind, name, code, message, subject)
        issue.affects.append(affected)
        self.failed.add((subject, affected))

    def _resolve(
        self, index: Index[T], kind: Kind, ref: str, subject: str, affected: str
    ) -> T | None:
        found = index.find(ref)
        if len(found) == 1:
            return found[0]
        if not found:
            message = f"unknown {kind.label} '{ref}'{_suggest(ref, index.names())}"
            self._issue(kind, ref, "unknown_name", message, subject, affected)
        else:
            ids = ", ".join(str(getattr(item, "id", item.name)) for item in found)
            message = f"{len(found)} {kind.label}s are named '{ref}' ({ids}); use an id"
            self._issue(kind, ref, "ambiguous_name", message, subject, affected)
        return None

    def _ours(self, metadata: Mapping[str, str]) -> bool:
        return metadata.get(DEPLOYMENT_TAG) == self.spec.name

    # -- volumes and rules -------------------------------------------------------------------

    def _volume(self, volume: VolumeSpec) -> VolumeCreate | None:
        existing = self.view.volume_index.named(volume.name)
        ours = [item for item in existing if self._ours(item.metadata)]
        if ours:
            self._existing_volume(volume, ours[0])
            return None
        if existing:
            message = f"a volume named '{volume.name}' exists ({existing[0].id}) and"
            message += f" {_owner(existing[0].metadata)}"
            self._issue(Kind.VOLUME, volume.name, "conflict", message, "volume", volume.name)
            return None
        template = self.view.default_storage_template
        if volume.storage_template is not None:
            template = self._resolve(
                self.view.storage_template_index,
                Kind.STORAGE_TEMPLATE,
                volume.storage_template,
                "volume",
                volume.name,
            )
            if template is None:
                return None
        self.volume_refs[volume.name] = Ref(Kind.VOLUME, volume.name)
        return VolumeCreate(
            name=volume.name,
            size_gb=volume.size_gb,
            storage_template=template.name if template else None,
            storage_template_id=template.id if template else None,
            provider=template.provider if template else None,
            shared=volume.shared,
            description=volume.description,
            metadata=dict(self.tag),
            attach_to=self.users.get(volume.name, ()),
        )

    def _existing_volume(self, volume: VolumeSpec, found: ExistingVolume) -> None:
        details = f"{found.size_gb} GB, {found.status}"
        if found.size_gb != volume.size_gb:
            details += f" (the spec says {volume.size_gb} GB; sizes are not changed)"
        self.unchanged.append(Unchanged(Kind.VOLUME, volume.name, found.id, details))
        self.volume_refs[volume.name] = Ref(Kind.VOLUME, volume.name, found.id)
        self.existing_volumes[volume.name] = found

    def _rule(self, rule: CollocationRuleSpec) -> bool:
        """Whether the rule must be created (else it is reused, or it blocks)."""
        existing = self.view.rule_index.named(rule.name)
        same = [item for item in existing if item.policy == rule.policy]
        if len(same) == 1:
            found = same[0]
            details = f"{found.policy}, {_plural(len(found.members), 'member')}"
            self.unchanged.append(Unchanged(Kind.COLLOCATION_RULE, rule.name, found.id, details))
            ref = Ref(Kind.COLLOCATION_RULE, rule.name, found.id)
            self.rules[rule.name] = _Rule(ref, rule.policy, found)
            return False
        if existing:
            policies = ", ".join(sorted({item.policy for item in existing}))
            message = f"collocation rule '{rule.name}' exists with policy {policies}"
            message += f", not {rule.policy}" if not same else f" {len(same)} times"
            self.blocks.append(Block(Kind.COLLOCATION_RULE, rule.name, message, "conflict"))
            return False
        self.rules[rule.name] = _Rule(Ref(Kind.COLLOCATION_RULE, rule.name), rule.policy)
        return True

    # -- servers -----------------------------------------------------------------------------

    def _server(self, server: ServerSpec) -> ServerCreate | None:
        if self._exists(server):
            return None
        for key, value in server.metadata.items():
            if len(key) > METADATA_LIMIT or len(value) > METADATA_LIMIT:
                message = (
                    f"metadata {key[:40]!r}: keys and values are at most {METADATA_LIMIT}"
                    " characters (nova's limit)"
                )
                self._issue(Kind.SERVER, server.name, "metadata", message, "server", server.name)
        template = self._resolve(
            self.view.template_index, Kind.COMPUTE_TEMPLATE, server.template, "server", server.name
        )
        image = self._image(server, template)
        networks = self._networks(server)
        volumes = self._volume_refs(server)
        rule = self._rule_of(server)
        scg = self._scg(server, template)
        placement = self._placement(server, scg)
        check = self._template_check(server, template, scg)
        if (
            ("server", server.name) in self.failed
            or template is None
            or image is None
            or networks is None
            or volumes is None
            or placement is None
            or check is None
        ):
            return None
        create = ServerCreate(
            name=server.name,
            template=template.name,
            template_id=template.id,
            flavor=check.flavor,
            image=image.name,
            image_id=image.id,
            networks=tuple(networks),
            volumes=tuple(volumes),
            availability_zone=placement.zone,
            collocation_rule=rule.ref if rule else None,
            metadata={**server.metadata, **self.tag},
            user_data=server.user_data,
            memory_mb=check.memory_mb,
            proc_units=check.proc_units,
            vcpus=template.vcpus,
            hosts=placement.domain.hosts,
        )
        self.server_domains[server.name] = placement.domain
        if rule is not None:
            rule.members.append(create)
        return create

    def _exists(self, server: ServerSpec) -> bool:
        existing = self.view.server_index.named(server.name)
        if not existing:
            return False
        ours = [item for item in existing if self._ours(item.metadata)]
        if ours:
            found = ours[0]
            if found.status == "ERROR":  # not up to date: a failed deploy left it
                message = (
                    f"server '{server.name}' ({found.id}) of this deployment is in ERROR;"
                    f" delete it (powerbridge server delete {found.id}) and apply again to"
                    " deploy it anew"
                )
                self._issue(Kind.SERVER, server.name, "in_error", message, "server", server.name)
                return True
            details = found.status + (f" on {found.host}" if found.host else "")
            self.unchanged.append(Unchanged(Kind.SERVER, server.name, found.id, details))
            return True
        message = f"a server named '{server.name}' exists ({existing[0].id}) and"
        message += f" {_owner(existing[0].metadata)}"
        self._issue(Kind.SERVER, server.name, "conflict", message, "server", server.name)
        return True

    def _image(self, server: ServerSpec, template: ComputeTemplate | None) -> Image | None:
        image = self._resolve(
            self.view.image_index, Kind.IMAGE, server.image, "server", server.name
        )
        if image is None:
            return None
        if image.status != "active":
            message = f"image '{image.name}' is {image.status}, not active"
            self._issue(Kind.IMAGE, image.name, "image_status", message, "server", server.name)
        if template and template.disk_gb and template.disk_gb < image.min_disk_gb:
            message = (
                f"compute template '{template.name}' has a {template.disk_gb} GB disk; image"
                f" '{image.name}' needs at least {image.min_disk_gb} GB"
            )
            self._issue(Kind.IMAGE, image.name, "disk_too_small", message, "server", server.name)
        return image

    def _networks(self, server: ServerSpec) -> list[NetworkAttachment] | None:
        if not server.networks:
            message = "no network given"
            self._issue(Kind.SERVER, server.name, "no_network", message, "server", server.name)
            return None
        attachments = []
        for item in server.networks:
            network = self._resolve(
                self.view.network_index, Kind.NETWORK, item.name, "server", server.name
            )
            if network is not None:
                self._check_fixed_ip(server, network, item.fixed_ip)
                attachments.append(NetworkAttachment(network.name, network.id, item.fixed_ip))
        return attachments if len(attachments) == len(server.networks) else None

    def _check_fixed_ip(self, server: ServerSpec, network: Network, fixed_ip: str | None) -> None:
        if fixed_ip is None:
            return
        address = ipaddress.ip_address(fixed_ip)
        subnets = [ipaddress.ip_network(cidr, strict=False) for cidr in network.cidrs]
        holding = [subnet for subnet in subnets if address in subnet]
        message = None
        if subnets and not holding:
            message = (
                f"fixed IP {fixed_ip} is outside the subnets of network '{network.name}'"
                f" ({', '.join(network.cidrs)})"
            )
        elif any(_reserved_address(address, subnet) for subnet in holding):
            message = (
                f"fixed IP {fixed_ip} is the network or broadcast address of its subnet on"
                f" network '{network.name}'; pick a host address"
            )
        elif fixed_ip in network.gateways:
            message = f"fixed IP {fixed_ip} is the gateway of network '{network.name}'"
        elif fixed_ip in network.used_ips:
            message = f"fixed IP {fixed_ip} is already in use on network '{network.name}'"
        if message is not None:
            self._issue(Kind.NETWORK, network.name, "fixed_ip", message, "server", server.name)

    def _volume_refs(self, server: ServerSpec) -> list[Ref] | None:
        refs = []
        for name in server.volumes:
            existing = self.existing_volumes.get(name)
            if existing and existing.attachments and not existing.multiattach:
                message = (
                    f"volume '{name}' is attached to {', '.join(existing.attachments)}"
                    " and is not multiattach"
                )
                self._issue(Kind.VOLUME, name, "volume_in_use", message, "server", server.name)
            ref = self.volume_refs.get(name)
            if ref is not None:
                refs.append(ref)
        # A volume without a ref is blocked already; the server waits for it.
        return refs if len(refs) == len(server.volumes) else None

    def _rule_of(self, server: ServerSpec) -> _Rule | None:
        name = server.collocation_rule
        if name is None:
            return None
        rule = self.rules.get(name)
        if rule is not None or name in self.spec.collocation_rules:
            if rule is None:  # the spec's rule blocks already: the server waits for it
                self.failed.add(("server", server.name))
            return rule
        found = self._resolve(
            self.view.rule_index, Kind.COLLOCATION_RULE, name, "server", server.name
        )
        if found is None:
            return None
        ref = Ref(Kind.COLLOCATION_RULE, found.name, found.id)
        rule = self.rules[name] = _Rule(ref, found.policy, found)
        return rule

    def _scg(
        self, server: ServerSpec, template: ComputeTemplate | None
    ) -> StorageConnectivityGroup | None:
        """The server's SCG: its own, else its overrides', else its template's (or none)."""
        ref = server.storage_connectivity_group or server.powervm.get(_SCG_KEY)
        if ref is None and template is not None:
            ref = template.extra_specs.get(_SCG_KEY) or None
        if ref is None:
            return None
        return self._resolve(
            self.view.scg_index, Kind.STORAGE_CONNECTIVITY_GROUP, ref, "server", server.name
        )

    # -- placement ---------------------------------------------------------------------------

    def _placement(
        self, server: ServerSpec, scg: StorageConnectivityGroup | None
    ) -> _Placement | None:
        group = host = None
        if server.host_group is not None:
            group = self._resolve(
                self.view.host_group_index,
                Kind.HOST_GROUP,
                server.host_group,
                "server",
                server.name,
            )
        if server.host is not None:
            host = self._resolve(
                self.view.host_index, Kind.HOST, server.host, "server", server.name
            )
        if ("server", server.name) in self.failed:
            return None
        if group is not None and not group.availability_zone:
            message = f"host group '{group.name}' has no availability zone"
            self._issue(Kind.HOST_GROUP, group.name, "no_zone", message, "server", server.name)
            return None
        key = (host.name if host else None, group.id if group else None, scg.id if scg else None)
        domain = self.domains.get(key)
        if domain is None:
            domain = self.domains[key] = self._make_domain(host, group, scg)
        if isinstance(domain, str):
            kind, name = Kind.HOST, "hosts"
            if host is not None:
                kind, name = Kind.HOST, host.name
            elif group is not None:
                kind, name = Kind.HOST_GROUP, group.name
            elif scg is not None:
                kind, name = Kind.STORAGE_CONNECTIVITY_GROUP, scg.name
            self._issue(kind, name, "no_host", domain, "server", server.name)
            return None
        zone = group.availability_zone if group else None
        if host is not None:
            zone = f"{zone or ''}:{host.name}"
        return _Placement(domain, zone)

    def _make_domain(
        self, host: Host | None, group: HostGroup | None, scg: StorageConnectivityGroup | None
    ) -> _Domain | str:
        """The usable hosts a server may land on, or why there is none."""
        hosts = {item.name for item in self.view.hosts if item.usable}
        labels: list[str] = []
        kind = Kind.HOST
        if group is not None:
            hosts &= self._host_names(group.hosts)
            labels.append(f"host group '{group.name}'")
            kind = Kind.HOST_GROUP
        if scg is not None:
            hosts &= self._host_names(scg.hosts)
            labels.append(f"storage connectivity group '{scg.name}'")
            kind = kind if group else Kind.STORAGE_CONNECTIVITY_GROUP
        where = " and ".join(labels)
        if not self.view.hosts_visible:  # placement is PowerVC's to check
            return _Domain(kind, where or "all hosts", frozenset())
        if host is not None:
            label = f"host '{host.display_name or host.name}'"
            if host.display_name:
                label += f" ({host.name})"
            if not host.usable:
                return f"{label} is {host.state} and {host.status}"
            if host.name not in hosts:
                return f"{label} is not in {where}"
            return _Domain(Kind.HOST, label, frozenset({host.name}))
        if not hosts:
            return f"no usable host in {where or 'the cloud'}"
        return _Domain(kind, where or "all hosts", frozenset(hosts))

    def _host_names(self, refs: Iterable[str]) -> set[str]:
        names = set()
        for ref in refs:
            found = self.view.host_index.find(ref)
            if len(found) == 1:
                names.add(found[0].name)
        return names

    # -- PowerVM rules -----------------------------------------------------------------------

    def _template_check(
        self,
        server: ServerSpec,
        template: ComputeTemplate | None,
        scg: StorageConnectivityGroup | None,
    ) -> _TemplateCheck | None:
        if template is None:
            return None
        chosen = server.storage_connectivity_group or server.powervm.get(_SCG_KEY)
        scg_id = scg.id if scg is not None and chosen else None
        key: _ScgKey = (template.id, tuple(sorted(server.powervm.items())), scg_id)
        check = self.checks.get(key)
        if check is None:
            check = self.checks[key] = _check_template(template, server.powervm, scg_id)
        for violation in check.violations:
            message = f"{violation.field}: {violation.message}"
            message += _template_text(template, server.powervm)
            kind = Kind.COMPUTE_TEMPLATE
            self._issue(kind, template.name, "powervm_rule", message, "server", server.name)
        return None if check.violations else check

    def _check_stranded(self, volumes: Sequence[VolumeCreate]) -> None:
        """A volume to create for a server that exists already would be left unattached."""
        existing = {item.name for item in self.unchanged if item.kind is Kind.SERVER}
        for volume in volumes:
            stranded = tuple(name for name in volume.attach_to if name in existing)
            if stranded:
                message = (
                    f"volume '{volume.name}' is missing but {_names(stranded)} exist:"
                    " volumes are attached only to servers the plan creates"
                )
                self.blocks.append(
                    Block(Kind.VOLUME, volume.name, message, "missing_volume", stranded)
                )

    # -- capacity ----------------------------------------------------------------------------

    def _check_capacity(self, servers: Sequence[ServerCreate]) -> None:
        """Hall's condition over the host sets servers are confined to, plus a fit per server.

        For every set of hosts some servers may use, the servers confined within it must fit
        in its free memory and processing units; each server must fit on one of its hosts.
        """
        if not self.view.hosts_visible:
            return
        demands: dict[_Domain, _Demand] = {}
        for server in servers:
            demands.setdefault(self.server_domains[server.name], _Demand()).add(server)
        everywhere = frozenset().union(*(domain.hosts for domain in demands))
        domains = list(demands)
        if demands and all(domain.hosts != everywhere for domain in domains):
            domains.append(_Domain(Kind.HOST, "the hosts this deployment may use", everywhere))
        hosts = {host.name: host for host in self.view.hosts}
        for domain in domains:
            total = _Demand()
            for other, demand in demands.items():
                if other.hosts <= domain.hosts:
                    total.merge(demand)
            members = [hosts[name] for name in sorted(domain.hosts)]
            self._check_domain(domain, total, members)
            if domain in demands:
                self._check_fit(domain, demands[domain], members)

    def _check_domain(self, domain: _Domain, total: _Demand, hosts: Sequence[Host]) -> None:
        memory = sum(host.free_memory_mb for host in hosts)
        units = sum((host.free_proc_units for host in hosts), Decimal(0))
        where = f"{domain.label} ({_plural(len(hosts), 'usable host')})"
        need = f"{_plural(total.count, 'server')} to create need"
        if total.memory_mb > memory:
            message = f"not enough memory in {where}: {need} {total.memory_mb} MB, {memory} MB free"
            self.blocks.append(Block(domain.kind, domain.label, message, "memory"))
        if total.proc_units > units:
            message = (
                f"not enough processing units in {where}: {need}"
                f" {powervm.format_units(total.proc_units)}, {powervm.format_units(units)} free"
            )
            self.blocks.append(Block(domain.kind, domain.label, message, "proc_units"))

    def _check_fit(self, domain: _Domain, demand: _Demand, hosts: Sequence[Host]) -> None:
        for memory, units in sorted(demand.claims):
            if any(h.free_memory_mb >= memory and h.free_proc_units >= units for h in hosts):
                continue
            message = (
                f"no host in {domain.label} has {memory} MB of memory and"
                f" {powervm.format_units(units)} processing units free for one server"
            )
            affects = tuple(demand.servers)
            self.blocks.append(Block(domain.kind, domain.label, message, "no_fit", affects))

    def _check_storage(self, volumes: Sequence[VolumeCreate]) -> None:
        needs: dict[str, list[VolumeCreate]] = {}
        for volume in volumes:
            if volume.provider is not None:
                needs.setdefault(volume.provider, []).append(volume)
        for name, items in needs.items():
            found = self.view.provider_index.find(name)
            free = found[0].free_gb if len(found) == 1 else None
            total = sum(volume.size_gb for volume in items)
            if free is not None and total > free:
                message = (
                    f"storage provider '{name}' has {free} GB free; the plan creates"
                    f" {_plural(len(items), 'volume')} of {total} GB on it"
                )
                affects = tuple(volume.name for volume in items)
                self.blocks.append(Block(Kind.STORAGE_PROVIDER, name, message, "storage", affects))

    def _check_addresses(self, servers: Sequence[ServerCreate]) -> None:
        needs: dict[str, int] = {}
        fixed: dict[tuple[str, str], str] = {}
        for server in servers:
            for item in server.networks:
                needs[item.network_id] = needs.get(item.network_id, 0) + 1
                if item.fixed_ip is None:
                    continue
                first = fixed.setdefault((item.network_id, item.fixed_ip), server.name)
                if first != server.name:
                    message = f"fixed IP {item.fixed_ip} is also given to server {first}"
                    block = Block(Kind.NETWORK, item.network, message, "fixed_ip", (server.name,))
                    self.blocks.append(block)
        for network_id, count in needs.items():
            network = self.view.network_index.by_id(network_id)
            if network and network.free_ips is not None and count > network.free_ips:
                message = (
                    f"network '{network.name}' has {network.free_ips} free IP addresses;"
                    f" the plan needs {count}"
                )
                self.blocks.append(Block(Kind.NETWORK, network.name, message, "ips"))

    def _check_limits(self, servers: Sequence[ServerCreate]) -> None:
        limits = self.view.limits
        checks = (
            ("instances", limits.instances_used, limits.instances_max, len(servers), ""),
            ("cores", limits.cores_used, limits.cores_max, sum(s.vcpus for s in servers), ""),
            (
                "RAM",
                limits.ram_used_mb,
                limits.ram_max_mb,
                sum(s.memory_mb for s in servers),
                " MB",
            ),
        )
        for what, used, maximum, need, unit in checks:
            if maximum != UNLIMITED and need and used + need > maximum:
                message = (
                    f"project limit on {what}: {used}{unit} used of {maximum}{unit};"
                    f" the plan needs {need}{unit} more"
                )
                self.blocks.append(Block(Kind.PROJECT, what, message, "limit"))

    # -- collocation -------------------------------------------------------------------------

    def _check_collocation(self, rule: _Rule) -> None:
        if not rule.members or not self.view.hosts_visible:
            return
        taken = self._member_hosts(rule.existing)
        if rule.policy == "anti-affinity":
            self._check_anti_affinity(rule, taken)
        elif rule.policy == "affinity":
            self._check_affinity(rule, taken)

    def _member_hosts(self, rule: ExistingRule | None) -> set[str]:
        """The hosts the rule's existing members run on."""
        hosts: set[str] = set()
        for member in rule.members if rule else ():
            server = self.view.server_index.by_id(member)
            found = self.view.host_index.find(server.host) if server and server.host else []
            if len(found) == 1:
                hosts.add(found[0].name)
        return hosts

    def _check_anti_affinity(self, rule: _Rule, taken: set[str]) -> None:
        counts: dict[frozenset[str], int] = {}
        for member in rule.members:
            counts[member.hosts] = counts.get(member.hosts, 0) + 1
        counts.setdefault(frozenset().union(*counts), 0)
        for hosts in counts:
            need = sum(n for other, n in counts.items() if other <= hosts)
            free = hosts - taken
            if need > len(free):
                message = (
                    f"anti-affinity rule '{rule.ref.name}': {need} servers to create need"
                    f" different hosts; only {_plural(len(free), 'usable host')}"
                    f" can take them ({', '.join(sorted(free)) or 'none'})"
                )
                affects = tuple(m.name for m in rule.members if m.hosts <= hosts)
                kind = Kind.COLLOCATION_RULE
                self.blocks.append(Block(kind, rule.ref.name, message, "collocation", affects))
                return

    def _check_affinity(self, rule: _Rule, taken: set[str]) -> None:
        common = frozenset.intersection(*(member.hosts for member in rule.members))
        if taken:
            common &= taken
        affects = tuple(member.name for member in rule.members)
        name = rule.ref.name
        if not common:
            message = f"affinity rule '{name}': its servers have no usable host in common"
            self.blocks.append(Block(Kind.COLLOCATION_RULE, name, message, "collocation", affects))
            return
        memory = sum(member.memory_mb for member in rule.members)
        units = sum((member.proc_units for member in rule.members), Decimal(0))
        hosts = [host for host in self.view.hosts if host.name in common]
        if not any(h.free_memory_mb >= memory and h.free_proc_units >= units for h in hosts):
            message = (
                f"affinity rule '{name}': no host has {memory} MB of memory and"
                f" {powervm.format_units(units)} processing units free for its"
                f" {_plural(len(rule.members), 'server')}"
            )
            self.blocks.append(Block(Kind.COLLOCATION_RULE, name, message, "collocation", affects))


def _check_template(
    template: ComputeTemplate, overrides: Mapping[str, str], scg_id: str | None
) -> _TemplateCheck:
    """PowerVM rules on the template merged with the overrides (and the server's SCG)."""
    specs: dict[str, str] = {**template.extra_specs, **overrides}
    if scg_id is not None:
        specs[_SCG_KEY] = scg_id
    violations = tuple(powervm.check_template(template.ram_mb, template.vcpus, specs))
    if violations:
        return _TemplateCheck(violations, None, 0, Decimal(0))
    profile = powervm.parse_template(template.ram_mb, template.vcpus, specs)
    memory, units = powervm.resource_claim(profile)
    flavor = None
    if overrides or scg_id is not None:
        flavor = {
            "ram": template.ram_mb,
            "vcpus": template.vcpus,
            "disk": template.disk_gb,
            "extra_specs": specs,
        }
    return _TemplateCheck((), flavor, memory, units)


def _template_text(template: ComputeTemplate, overrides: Mapping[str, str]) -> str:
    text = f" (compute template '{template.name}'"
    if overrides:
        text += " with overrides " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return text + ")"


def _reserved_address(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    subnet: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> bool:
    """The subnet's own address, or its broadcast (IPv4 subnets larger than /31)."""
    if address == subnet.network_address and subnet.prefixlen < subnet.max_prefixlen - 1:
        return True
    return (
        isinstance(subnet, ipaddress.IPv4Network)
        and subnet.prefixlen < 31
        and address == subnet.broadcast_address
    )
