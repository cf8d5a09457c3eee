"""The plan model: what apply will do, as the planner (`powerbridge.deploy.planner`) made it.

`Plan.creates` holds volumes first, then collocation rules, then servers, each with the exact
request body apply sends (`request()`); references to other plan items (`Ref`) are filled in
with ids as apply learns them. `unchanged` lists what the deployment already has; `blocks`
says why nothing may be created (`ok` is False when there is any).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Final, TypeAlias

from powerbridge import powervm

__all__ = [
    "Action",
    "Block",
    "ChangeMode",
    "CollocationRuleCreate",
    "Create",
    "Difference",
    "Kind",
    "NetworkAttachment",
    "Plan",
    "PlanRow",
    "Ref",
    "RefKey",
    "ServerChange",
    "ServerCreate",
    "Unchanged",
    "VolumeCreate",
    "name_list",
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
    CHANGE = "change"
    UNCHANGED = "unchanged"
    BLOCK = "block"


RefKey: TypeAlias = tuple[Kind, str]


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
            text += ", attached to " + name_list(self.attach_to)
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
        return f"{self.policy}" + (f", for {name_list(self.members)}" if self.members else "")

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
    reads (the planner does no I/O), `user_data_text` a document sent as it is. `memory_mb`,
    `proc_units` and `vcpus` are what the server claims; `hosts` are the usable hosts it may
    land on.
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
    key_name: str | None = None
    user_data_text: str | None = None

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
        if self.key_name is not None:
            server["key_name"] = self.key_name
        if self.user_data_text is not None:  # a file's is read and added by apply
            server["user_data"] = base64.b64encode(self.user_data_text.encode()).decode("ascii")
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
class Difference:
    """One way an existing server differs from the spec: `what` was `was`, the spec says
    `wanted`."""

    what: str
    was: str
    wanted: str

    def __str__(self) -> str:
        return f"{self.what} {self.was} -> {self.wanted}"


class ChangeMode(StrEnum):
    """What apply does about a server that differs from the spec."""

    RESIZE = "resize"  # a new compute template PowerVC applies in place (dynamic LPAR)
    CONFIRM_RESIZE = "confirm_resize"  # a resize an earlier run started: wait, confirm
    REPLACE = "replace"  # delete and recreate, data volumes kept (only --replace-changed)


@dataclass(frozen=True)
class ServerChange:
    """A server of the deployment that differs from the spec, and what apply does about it.

    `replacement` is the server as the spec wants it (its request is what a replace sends:
    the spec's volumes and `extra_volumes` attached again); `resize` is the `resize` action's
    body when the change is a resize; `why_replace` says why it cannot be resized in place.
    `extra_volumes` are attached beyond the spec: reported, never detached for good."""

    kind: ClassVar[Kind] = Kind.SERVER
    name: str
    id: str
    mode: ChangeMode
    differences: tuple[Difference, ...]
    replacement: ServerCreate
    resize: Mapping[str, Any] | None = field(default=None, hash=False)
    why_replace: str | None = None
    extra_volumes: tuple[Ref, ...] = ()
    volume_ids: tuple[str, ...] = ()  # attached now: detached and kept by a replace

    def details(self) -> str:
        text = "; ".join(str(item) for item in self.differences) or "resize in progress"
        if self.mode is ChangeMode.RESIZE:
            text += " (resize in place)"
        elif self.mode is ChangeMode.CONFIRM_RESIZE:
            text += " (confirm the resize)"
        else:
            text += " (replace: needs --replace-changed; data volumes are kept"
            text += f"; {self.why_replace})" if self.why_replace else ")"
        if self.extra_volumes:
            text += "; also attached, not in the spec (kept): " + name_list(
                [ref.name for ref in self.extra_volumes]
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": Action.CHANGE.value,
            "kind": self.kind.value,
            "name": self.name,
            "id": self.id,
            "mode": self.mode.value,
            "differences": [
                {"what": item.what, "was": item.was, "wanted": item.wanted}
                for item in self.differences
            ],
            "why_replace": self.why_replace,
            "extra_volumes": [ref.name for ref in self.extra_volumes],
            "resize": dict(self.resize) if self.resize is not None else None,
            "request": self.replacement.request(),
        }


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
    changes: tuple[ServerChange, ...] = ()

    def changes_of(self, *modes: ChangeMode) -> tuple[ServerChange, ...]:
        return tuple(item for item in self.changes if item.mode in modes)

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
        ids = {(item.kind, item.name): item.id for item in self.unchanged}
        for change in self.changes:
            ids.update((ref.key, ref.id) for ref in change.extra_volumes if ref.id)
        return ids

    def rows(self) -> list[PlanRow]:
        """A row per item: creates, then unchanged, then blocks."""
        rows = [
            PlanRow(Action.CREATE, item.kind, item.name, item.details()) for item in self.creates
        ]
        rows += [
            PlanRow(Action.CHANGE, item.kind, item.name, item.details()) for item in self.changes
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
                "change": len(self.changes),
                "unchanged": len(self.unchanged),
                "block": len(self.blocks),
            },
            "creates": [item.to_dict() for item in self.creates],
            "changes": [item.to_dict() for item in self.changes],
            "unchanged": [item.to_dict() for item in self.unchanged],
            "blocks": [item.to_dict() for item in self.blocks],
        }


SHOWN_NAMES: Final = 5


def name_list(names: Sequence[str]) -> str:
    """The first few names, then how many more: a long list stays one readable line."""
    shown = ", ".join(names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def _network_request(item: NetworkAttachment) -> dict[str, str]:
    request = {"uuid": item.network_id}
    if item.fixed_ip:
        request["fixed_ip"] = item.fixed_ip
    return request
