"""Nova on PowerVC: servers (virtual machines), compute templates (flavors), instance actions.

```python
compute = Compute(session)
template = await compute.find_template("powervm.small")   # template.powervm: the LPAR profile
created = await compute.create_server(ServerCreate(name="vm1", image_id=..., flavor_id=...))
server = await compute.server(created.id)
```

`create_server` is never blindly retried: after a lost answer, 429, 502, 503 or 504 the server
is looked up by its name and the client token put in its metadata (`powerbridge:request`), and
sent again only if it is not there (`powerbridge.client._guarded`). The other calls are sent as
`Session.request` sends them (GET, PUT, DELETE retried; actions, POSTs, not).

Records are frozen dataclasses; each field says its wire key and conversion where its name and
type do not (`powerbridge.client._records`).
A `ComputeTemplate` carries its `powervm:*` extra specs parsed by `powerbridge.powervm` into a
`PowerVMSpec` (or the rule violations when they do not parse). Requests use compute
microversion 2.60 (multiattach volumes) or the server's maximum if that is lower.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._guarded import Listing, Lookup, guarded_create, listing
from powerbridge.client._records import WireRecord, build, raw_payload, supplied, wire
from powerbridge.client._wire import Record, as_object, iso, objects, text
from powerbridge.client.errors import UnsupportedVersion, request_id
from powerbridge.client.keypairs import KeyPairCalls
from powerbridge.client.session import Session
from powerbridge.powervm import (
    PowerVMSpec,
    RuleViolation,
    TemplateError,
    check_template,
    parse_template,
)

SERVICE = "compute"
MICROVERSION = "2.60"  # multiattach volume attachments; PowerVC 2.x offers it
FLAVOR_EXTRA_SPECS_VERSION = (2, 61)  # from here flavors carry their extra specs inline
FINAL_STATUSES = frozenset({"ACTIVE", "ERROR", "SHUTOFF", "DELETED"})


# -- records ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault(WireRecord):
    """Why a server is in ERROR, as nova recorded it."""

    code: int
    message: str
    details: str | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class Address(Record):
    """One IP address of a server on one network."""

    network: str = field(metadata=supplied())  # the key of `addresses` the address is under
    addr: str
    version: int = 4
    kind: str | None = field(default=None, metadata=wire("OS-EXT-IPS:type"))  # fixed, floating
    mac: str | None = field(default=None, metadata=wire("OS-EXT-IPS-MAC:mac_addr"))

    @classmethod
    def from_wire(cls, network: str, body: Mapping[str, Any]) -> Address:
        return build(cls, body, network=network)


@dataclass(frozen=True)
class ServerFlavor(WireRecord):
    """The flavor a server was built with: a reference (`id`) or, from microversion 2.47, a
    copy (`name`, sizes, extra specs). PowerVC's inline flavors have no id."""

    id: str | None = None
    name: str | None = field(default=None, metadata=wire("original_name"))
    ram: int | None = None
    vcpus: int | None = None
    disk: int | None = None
    extra_specs: Mapping[str, str] = field(default_factory=dict)


def _upper_text(value: Any) -> str:
    return text(value).upper()


def _image_id(value: Any) -> str | None:
    # nova sends "" for a server booted from a volume
    return str(value["id"]) if isinstance(value, Mapping) and value.get("id") else None


def _addresses(value: Any) -> tuple[Address, ...]:
    return tuple(
        Address.from_wire(str(network), row)
        for network, rows in as_object(value).items()
        if isinstance(rows, list)
        for row in rows
        if isinstance(row, Mapping)
    )


def _ids(value: Any) -> tuple[str, ...]:
    return tuple(str(item.get("id")) for item in objects(value))


def _truth(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass(frozen=True)
class Server(WireRecord):
    """A virtual machine (a PowerVM logical partition)."""

    id: str
    name: str
    status: str = field(metadata=wire(conv=_upper_text))
    task_state: str | None = field(default=None, metadata=wire("OS-EXT-STS:task_state"))
    vm_state: str | None = field(default=None, metadata=wire("OS-EXT-STS:vm_state"))
    power_state: int | None = field(default=None, metadata=wire("OS-EXT-STS:power_state"))
    host: str | None = field(default=None, metadata=wire("OS-EXT-SRV-ATTR:host"))  # admin only
    # every user's: the host as a hash of it and the project (tells hosts apart, names none)
    host_id: str | None = field(default=None, metadata=wire("hostId"))
    hypervisor_hostname: str | None = field(
        default=None, metadata=wire("OS-EXT-SRV-ATTR:hypervisor_hostname")
    )
    instance_name: str | None = field(  # the LPAR name, admin only
        default=None, metadata=wire("OS-EXT-SRV-ATTR:instance_name")
    )
    availability_zone: str | None = field(
        default=None, metadata=wire("OS-EXT-AZ:availability_zone")
    )
    project_id: str | None = field(default=None, metadata=wire("tenant_id"))
    user_id: str | None = None
    image_id: str | None = field(default=None, metadata=wire("image", conv=_image_id))
    flavor: ServerFlavor = field(default_factory=ServerFlavor)
    key_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    addresses: tuple[Address, ...] = field(default=(), metadata=wire(conv=_addresses))
    volume_ids: tuple[str, ...] = field(
        default=(), metadata=wire("os-extended-volumes:volumes_attached", conv=_ids)
    )
    fault: Fault | None = None
    progress: int | None = None
    locked: bool | None = field(default=None, metadata=wire(conv=_truth))
    description: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    launched_at: datetime | None = field(default=None, metadata=wire("OS-SRV-USG:launched_at"))
    raw: Mapping[str, Any] = raw_payload()

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(address.addr for address in self.addresses)

    @property
    def state(self) -> str:
        """The status, with the task state when there is one: `BUILD (spawning)`."""
        return f"{self.status} ({self.task_state})" if self.task_state else self.status


@dataclass(frozen=True)
class ComputeTemplate(WireRecord):
    """A PowerVC compute template (a nova flavor) with its `powervm:*` specs parsed.

    `powervm` is the partition profile the template gives (defaults filled in as PowerVC
    fills them), or None when the specs break PowerVM rules, which `violations` then lists."""

    id: str
    name: str
    ram: int
    vcpus: int
    disk: int = 0
    ephemeral: int = field(default=0, metadata=wire("OS-FLV-EXT-DATA:ephemeral"))
    swap: int = 0  # nova sends "" for no swap
    is_public: bool = field(default=True, metadata=wire("os-flavor-access:is_public"))
    disabled: bool = field(default=False, metadata=wire("OS-FLV-DISABLED:disabled"))
    description: str | None = None
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    powervm: PowerVMSpec | None = field(default=None, metadata=supplied())
    violations: tuple[RuleViolation, ...] = field(default=(), metadata=supplied())
    raw: Mapping[str, Any] = raw_payload()

    @classmethod
    def from_wire(
        cls, body: Mapping[str, Any], extra_specs: Mapping[str, str] | None = None
    ) -> ComputeTemplate:
        """`extra_specs` (when fetched apart, before microversion 2.61) replace the body's;
        `powervm` and `violations` come from parsing them with the sizes."""
        template = build(cls, body)
        specs = template.extra_specs if extra_specs is None else dict(extra_specs)
        spec, violations = parse_specs(template.ram, template.vcpus, specs)
        return replace(template, extra_specs=specs, powervm=spec, violations=violations)

    def with_overrides(self, overrides: Mapping[str, str]) -> InlineFlavor:
        """PowerVC's inline flavor: this template's sizes and specs with `overrides` merged
        (`ram`, `vcpus` and `disk` change the sizes; any other key is an extra spec)."""
        sizes = {"ram": self.ram, "vcpus": self.vcpus, "disk": self.disk}
        specs = dict(self.extra_specs)
        for key, value in overrides.items():
            if key in sizes:
                sizes[key] = int(value)
            else:
                specs[key] = str(value)
        return InlineFlavor(sizes["ram"], sizes["vcpus"], sizes["disk"], specs)


def parse_specs(
    ram: int, vcpus: int, specs: Mapping[str, str]
) -> tuple[PowerVMSpec | None, tuple[RuleViolation, ...]]:
    try:
        return parse_template(ram, vcpus, specs), ()
    except TemplateError as broken:
        return None, broken.violations


@dataclass(frozen=True)
class ActionEvent(WireRecord):
    event: str
    result: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None
    traceback: str | None = None  # admin only
    host: str | None = None


@dataclass(frozen=True)
class InstanceAction(WireRecord):
    """One thing done to a server (create, stop, attach_volume...) and its request id."""

    action: str
    request_id: str
    server_id: str = field(default="", metadata=wire("instance_uuid"))
    user_id: str | None = None
    project_id: str | None = None
    start_time: datetime | None = None
    updated_at: datetime | None = None
    message: str | None = None
    events: tuple[ActionEvent, ...] = ()

    @property
    def failed(self) -> bool:
        return self.message is not None or any(e.result == "Error" for e in self.events)


@dataclass(frozen=True)
class VolumeAttachment(WireRecord):
    server_id: str = field(metadata=wire("serverId"))
    volume_id: str = field(metadata=wire("volumeId"))
    device: str | None = None


# -- requests ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InlineFlavor(Record):
    """PowerVC's inline flavor: `{"flavor": {ram, vcpus, disk, extra_specs}}` on create."""

    ram: int
    vcpus: int
    disk: int = 0
    extra_specs: Mapping[str, str] = field(default_factory=dict)

    def check(self) -> list[RuleViolation]:
        """The PowerVM rules this flavor breaks (empty when PowerVC would accept it)."""
        return check_template(self.ram, self.vcpus, self.extra_specs)

    def to_wire(self) -> dict[str, Any]:
        return {
            "ram": self.ram,
            "vcpus": self.vcpus,
            "disk": self.disk,
            "extra_specs": dict(self.extra_specs),
        }


@dataclass(frozen=True)
class NetworkRequest(Record):
    network_id: str | None = None
    fixed_ip: str | None = None
    port_id: str | None = None

    def to_wire(self) -> dict[str, str]:
        body = {"uuid": self.network_id, "fixed_ip": self.fixed_ip, "port": self.port_id}
        return {key: value for key, value in body.items() if value}


@dataclass(frozen=True)
class BlockDevice(Record):
    """An existing volume attached at create (`block_device_mapping_v2`)."""

    volume_id: str
    boot_index: int = -1
    delete_on_termination: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "uuid": self.volume_id,
            "source_type": "volume",
            "destination_type": "volume",
            "boot_index": self.boot_index,
            "delete_on_termination": self.delete_on_termination,
        }


@dataclass(frozen=True)
class ServerCreate(Record):
    """Everything `POST /servers` takes, ids resolved. Give `flavor_id` or `flavor`."""

    name: str
    image_id: str | None = None
    flavor_id: str | None = None
    flavor: InlineFlavor | None = None
    networks: tuple[NetworkRequest, ...] = ()
    block_devices: tuple[BlockDevice, ...] = ()
    availability_zone: str | None = None  # a host group's zone, or ":<host>"
    scheduler_hints: Mapping[str, str] = field(default_factory=dict)  # {"group": rule id}
    user_data: bytes | None = None
    key_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        if (self.flavor_id is None) == (self.flavor is None):
            raise ValueError("give either flavor_id or an inline flavor")
        server: dict[str, Any] = {"name": self.name}
        if self.image_id:
            server["imageRef"] = self.image_id
        if self.flavor is not None:
            server["flavor"] = self.flavor.to_wire()
        else:
            server["flavorRef"] = self.flavor_id
        # no network named: "auto", nova picks the project's only network (or says there are
        # several to choose from)
        server["networks"] = [n.to_wire() for n in self.networks] if self.networks else "auto"
        if self.block_devices:
            server["block_device_mapping_v2"] = [b.to_wire() for b in self.block_devices]
        if self.availability_zone:
            server["availability_zone"] = self.availability_zone
        if self.user_data is not None:
            server["user_data"] = base64.b64encode(self.user_data).decode("ascii")
        if self.key_name:
            server["key_name"] = self.key_name
        if self.metadata:
            server["metadata"] = dict(self.metadata)
        body: dict[str, Any] = {"server": server}
        if self.scheduler_hints:
            body["os:scheduler_hints"] = dict(self.scheduler_hints)
        return body


@dataclass(frozen=True)
class CreatedServer(Record):
    """What a 202 to `POST /servers` says: the id, and the request id to trace the deploy."""

    id: str
    request_id: str | None
    admin_pass: str | None = field(default=None, repr=False)


# -- the service ------------------------------------------------------------------------------
def exactly(name: str) -> str:
    """Nova's `name` filter is a regular expression: this one matches `name` alone."""
    return f"^{re.escape(name)}$"


def server_lookup(session: Session, microversion: str | None = None) -> Lookup:
    """How a guarded `POST /servers` finds its server: `GET /servers/detail?name=^<name>$`
    (nova's name filter is a regular expression, so the name is escaped and anchored)."""

    async def lookup(name: str | None, token: str) -> Listing:
        params = {"name": exactly(name or "")}
        return await listing(
            session, SERVICE, "/servers/detail", "servers", params, microversion=microversion
        )

    return lookup


class Compute(KeyPairCalls):
    """Nova calls. Methods that take a name or an id say so (`find_*`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._microversion: str | bool | None = False  # False: not negotiated yet

    async def microversion(self) -> str | None:
        """The compute microversion used: 2.60, or the server's maximum if lower."""
        if self._microversion is False:
            try:
                self._microversion = await self.session.negotiate(SERVICE, MICROVERSION)
            except UnsupportedVersion:
                self._microversion = None
        return self._microversion if isinstance(self._microversion, str) else None

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        version = await self.microversion()
        return await _resource.get_json(
            self.session, SERVICE, path, params=params, microversion=version
        )

    # servers
    async def servers(
        self,
        *,
        name: str | None = None,
        status: str | None = None,
        host: str | None = None,
        all_projects: bool = False,
        changes_since: datetime | None = None,
        page_size: int | None = None,
        on_page: Callable[[], None] | None = None,
    ) -> list[Server]:
        """Servers in detail, every page. `name` is a regular expression (nova's filter);
        `changes_since` also returns servers deleted since then (status DELETED)."""
        params: dict[str, Any] = {}
        if name:
            params["name"] = name
        if status:
            params["status"] = status.upper()
        if host:
            params["host"] = host
        if all_projects:
            params["all_tenants"] = "True"
        if changes_since is not None:
            params["changes-since"] = iso(changes_since)
        if page_size:
            params["limit"] = page_size
        rows = await _resource.list_all(
            self.session,
            SERVICE,
            "/servers/detail",
            "servers",
            params=params,
            microversion=await self.microversion(),
            on_page=on_page,
        )
        return [Server.from_wire(row) for row in rows]

    async def server(self, server_id: str) -> Server:
        body = await self._get(_resource.item_path("/servers", server_id))
        return Server.from_wire(body.get("server") or {})

    async def find_server(self, name_or_id: str) -> Server:
        async def named(name: str) -> list[Server]:
            return await self.servers(name=exactly(name))

        return await _resource.find("server", name_or_id, self.server, named)

    async def create_server(self, request: ServerCreate) -> CreatedServer:
        """`POST /servers`, never blindly retried: the server carries a client token in its
        metadata (`powerbridge:request`), and after a lost answer, 429, 502, 503 or 504 it is
        looked up by name and token before being sent again (`powerbridge.client._guarded`).
        A server found that way has no `admin_pass`."""
        version = await self.microversion()
        created = await guarded_create(
            self.session,
            SERVICE,
            "/servers",
            "server",
            request.to_wire(),
            lookup=server_lookup(self.session, version),
            microversion=version,
        )
        return CreatedServer(
            id=created.id,
            request_id=created.request_id,
            admin_pass=created.resource.get("adminPass"),
        )

    async def delete_server(self, server_id: str) -> str | None:
        response = await self.session.request(
            SERVICE, "DELETE", _resource.item_path("/servers", server_id)
        )
        return request_id(response)

    async def rename_server(self, server_id: str, name: str) -> Server:
        response = await self.session.request(
            SERVICE,
            "PUT",
            _resource.item_path("/servers", server_id),
            json={"server": {"name": name}},
            microversion=await self.microversion(),
        )
        return Server.from_wire(response.json().get("server") or {})

    async def start_server(self, server_id: str) -> str | None:
        return await self._action(server_id, {"os-start": None})

    async def stop_server(self, server_id: str) -> str | None:
        return await self._action(server_id, {"os-stop": None})

    async def resize_server(self, server_id: str, resize: Mapping[str, Any]) -> str | None:
        """The `resize` action: `{"flavorRef": id}` or PowerVC's inline `{"flavor": {...}}`.
        The server goes RESIZE, then VERIFY_RESIZE until `confirm_resize` (or a revert)."""
        return await self._action(server_id, {"resize": dict(resize)})

    async def confirm_resize(self, server_id: str) -> str | None:
        """Keep a resize: VERIFY_RESIZE -> ACTIVE (or SHUTOFF for a stopped server)."""
        return await self._action(server_id, {"confirmResize": None})

    async def _action(self, server_id: str, body: dict[str, Any]) -> str | None:
        response = await self.session.request(
            SERVICE,
            "POST",
            _resource.item_path("/servers", server_id) + "/action",
            json=body,
            microversion=await self.microversion(),
            idempotent=False,
        )
        return request_id(response)

    async def attach_volume(self, server_id: str, volume_id: str) -> VolumeAttachment:
        response = await self.session.request(
            SERVICE,
            "POST",
            _resource.item_path("/servers", server_id) + "/os-volume_attachments",
            json={"volumeAttachment": {"volumeId": volume_id}},
            microversion=await self.microversion(),
            idempotent=False,
        )
        return VolumeAttachment.from_wire(response.json().get("volumeAttachment") or {})

    async def detach_volume(self, server_id: str, volume_id: str) -> str | None:
        path = _resource.item_path("/servers", server_id) + "/os-volume_attachments"
        response = await self.session.request(
            SERVICE,
            "DELETE",
            _resource.item_path(path, volume_id),
            microversion=await self.microversion(),
        )
        return request_id(response)

    async def instance_actions(
        self, server_id: str, *, events: bool = True
    ) -> list[InstanceAction]:
        """The server's actions, newest first; with `events`, each action's events too."""
        path = _resource.item_path("/servers", server_id) + "/os-instance-actions"
        body = await self._get(path)
        rows = [row for row in body.get("instanceActions") or [] if isinstance(row, dict)]
        if not events:
            return [InstanceAction.from_wire(row) for row in rows]

        async def detail(row: dict[str, Any]) -> InstanceAction:
            one = await self._get(_resource.item_path(path, str(row.get("request_id"))))
            return InstanceAction.from_wire(one.get("instanceAction") or row)

        return list(await asyncio.gather(*(detail(row) for row in rows)))

    # compute templates
    async def templates(self) -> list[ComputeTemplate]:
        """Every compute template the caller may use, with extra specs."""
        rows = await _resource.list_all(
            self.session,
            SERVICE,
            "/flavors/detail",
            "flavors",
            params={"is_public": "None"},
            microversion=await self.microversion(),
        )
        specs = await asyncio.gather(*(self._extra_specs(row) for row in rows))
        return [ComputeTemplate.from_wire(row, spec) for row, spec in zip(rows, specs, strict=True)]

    async def template(self, template_id: str) -> ComputeTemplate:
        body = await self._get(_resource.item_path("/flavors", template_id))
        row = body.get("flavor") or {}
        return ComputeTemplate.from_wire(row, await self._extra_specs(row))

    async def find_template(self, name_or_id: str) -> ComputeTemplate:
        async def everything(_: str) -> list[ComputeTemplate]:
            return await self.templates()

        return await _resource.find(
            "compute template", name_or_id, self.template, everything, complete=True
        )

    async def _extra_specs(self, row: Mapping[str, Any]) -> dict[str, str]:
        inline = row.get("extra_specs")
        if isinstance(inline, Mapping):
            return {str(k): str(v) for k, v in inline.items()}
        path = _resource.item_path("/flavors", str(row.get("id", ""))) + "/os-extra_specs"
        body = await self._get(path)
        specs = body.get("extra_specs") or {}
        return {str(k): str(v) for k, v in specs.items()} if isinstance(specs, Mapping) else {}
