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

Records are frozen dataclasses built through each one's `FIELDS` (Python field -> wire key).
A `ComputeTemplate` carries its `powervm:*` extra specs parsed by `powerbridge.powervm` into a
`PowerVMSpec` (or the rule violations when they do not parse). Requests use compute
microversion 2.60 (multiattach volumes) or the server's maximum if that is lower.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._guarded import Listing, Lookup, guarded_create, listing
from powerbridge.client._wire import Record, Wire, iso
from powerbridge.client.errors import UnsupportedVersion, request_id
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
FAULT_FIELDS = {"code": "code", "message": "message", "details": "details", "created": "created"}


@dataclass(frozen=True)
class Fault(Record):
    """Why a server is in ERROR, as nova recorded it."""

    code: int
    message: str
    details: str | None = None
    created: datetime | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Fault:
        wire = Wire(body, FAULT_FIELDS)
        return cls(
            code=wire.integer("code"),
            message=wire.text("message"),
            details=wire.opt_text("details"),
            created=wire.when("created"),
        )


ADDRESS_FIELDS = {
    "addr": "addr",
    "version": "version",
    "kind": "OS-EXT-IPS:type",
    "mac": "OS-EXT-IPS-MAC:mac_addr",
}


@dataclass(frozen=True)
class Address(Record):
    """One IP address of a server on one network."""

    network: str
    addr: str
    version: int = 4
    kind: str | None = None  # fixed or floating
    mac: str | None = None

    @classmethod
    def from_wire(cls, network: str, body: Mapping[str, Any]) -> Address:
        wire = Wire(body, ADDRESS_FIELDS)
        return cls(
            network=network,
            addr=wire.text("addr"),
            version=wire.integer("version", 4),
            kind=wire.opt_text("kind"),
            mac=wire.opt_text("mac"),
        )


SERVER_FLAVOR_FIELDS = {
    "id": "id",
    "name": "original_name",
    "ram": "ram",
    "vcpus": "vcpus",
    "disk": "disk",
    "extra_specs": "extra_specs",
}


@dataclass(frozen=True)
class ServerFlavor(Record):
    """The flavor a server was built with: a reference (`id`) or, from microversion 2.47, a
    copy (`name`, sizes, extra specs). PowerVC's inline flavors have no id."""

    id: str | None = None
    name: str | None = None
    ram: int | None = None
    vcpus: int | None = None
    disk: int | None = None
    extra_specs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> ServerFlavor:
        wire = Wire(body, SERVER_FLAVOR_FIELDS)
        return cls(
            id=wire.opt_text("id"),
            name=wire.opt_text("name"),
            ram=wire.opt_integer("ram"),
            vcpus=wire.opt_integer("vcpus"),
            disk=wire.opt_integer("disk"),
            extra_specs=wire.mapping("extra_specs"),
        )


SERVER_FIELDS = {
    "id": "id",
    "name": "name",
    "status": "status",
    "task_state": "OS-EXT-STS:task_state",
    "vm_state": "OS-EXT-STS:vm_state",
    "power_state": "OS-EXT-STS:power_state",
    "host": "OS-EXT-SRV-ATTR:host",
    "hypervisor_hostname": "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "instance_name": "OS-EXT-SRV-ATTR:instance_name",
    "availability_zone": "OS-EXT-AZ:availability_zone",
    "project_id": "tenant_id",
    "user_id": "user_id",
    "image": "image",
    "flavor": "flavor",
    "key_name": "key_name",
    "metadata": "metadata",
    "addresses": "addresses",
    "volumes_attached": "os-extended-volumes:volumes_attached",
    "fault": "fault",
    "progress": "progress",
    "locked": "locked",
    "description": "description",
    "created": "created",
    "updated": "updated",
    "launched_at": "OS-SRV-USG:launched_at",
}


@dataclass(frozen=True)
class Server(Record):
    """A virtual machine (a PowerVM logical partition)."""

    id: str
    name: str
    status: str
    task_state: str | None = None
    vm_state: str | None = None
    power_state: int | None = None
    host: str | None = None  # admin only
    hypervisor_hostname: str | None = None
    instance_name: str | None = None  # the LPAR name, admin only
    availability_zone: str | None = None
    project_id: str | None = None
    user_id: str | None = None
    image_id: str | None = None
    flavor: ServerFlavor = field(default_factory=ServerFlavor)
    key_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    addresses: tuple[Address, ...] = ()
    volume_ids: tuple[str, ...] = ()
    fault: Fault | None = None
    progress: int | None = None
    locked: bool | None = None
    description: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    launched_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Server:
        wire = Wire(body, SERVER_FIELDS)
        image = wire.value("image")
        fault = wire.obj("fault")
        locked = wire.value("locked")
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            status=wire.text("status").upper(),
            task_state=wire.opt_text("task_state"),
            vm_state=wire.opt_text("vm_state"),
            power_state=wire.opt_integer("power_state"),
            host=wire.opt_text("host"),
            hypervisor_hostname=wire.opt_text("hypervisor_hostname"),
            instance_name=wire.opt_text("instance_name"),
            availability_zone=wire.opt_text("availability_zone"),
            project_id=wire.opt_text("project_id"),
            user_id=wire.opt_text("user_id"),
            image_id=str(image["id"]) if isinstance(image, Mapping) and image.get("id") else None,
            flavor=ServerFlavor.from_wire(wire.obj("flavor")),
            key_name=wire.opt_text("key_name"),
            metadata=wire.mapping("metadata"),
            addresses=_addresses(wire.obj("addresses")),
            volume_ids=tuple(str(v.get("id")) for v in wire.objects("volumes_attached")),
            fault=Fault.from_wire(fault) if fault else None,
            progress=wire.opt_integer("progress"),
            locked=None if locked is None else bool(locked),
            description=wire.opt_text("description"),
            created=wire.when("created"),
            updated=wire.when("updated"),
            launched_at=wire.when("launched_at"),
            raw=body,
        )

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(address.addr for address in self.addresses)

    @property
    def state(self) -> str:
        """The status, with the task state when there is one: `BUILD (spawning)`."""
        return f"{self.status} ({self.task_state})" if self.task_state else self.status


def _addresses(body: Mapping[str, Any]) -> tuple[Address, ...]:
    return tuple(
        Address.from_wire(str(network), row)
        for network, rows in body.items()
        if isinstance(rows, list)
        for row in rows
        if isinstance(row, Mapping)
    )


TEMPLATE_FIELDS = {
    "id": "id",
    "name": "name",
    "ram": "ram",
    "vcpus": "vcpus",
    "disk": "disk",
    "ephemeral": "OS-FLV-EXT-DATA:ephemeral",
    "swap": "swap",
    "is_public": "os-flavor-access:is_public",
    "disabled": "OS-FLV-DISABLED:disabled",
    "description": "description",
    "extra_specs": "extra_specs",
}


@dataclass(frozen=True)
class ComputeTemplate(Record):
    """A PowerVC compute template (a nova flavor) with its `powervm:*` specs parsed.

    `powervm` is the partition profile the template gives (defaults filled in as PowerVC
    fills them), or None when the specs break PowerVM rules, which `violations` then lists."""

    id: str
    name: str
    ram: int
    vcpus: int
    disk: int = 0
    ephemeral: int = 0
    swap: int = 0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    powervm: PowerVMSpec | None = None
    violations: tuple[RuleViolation, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(
        cls, body: Mapping[str, Any], extra_specs: Mapping[str, str] | None = None
    ) -> ComputeTemplate:
        wire = Wire(body, TEMPLATE_FIELDS)
        specs = dict(extra_specs) if extra_specs is not None else wire.mapping("extra_specs")
        ram, vcpus = wire.integer("ram"), wire.integer("vcpus")
        spec, violations = parse_specs(ram, vcpus, specs)
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            ram=ram,
            vcpus=vcpus,
            disk=wire.integer("disk"),
            ephemeral=wire.integer("ephemeral"),
            swap=wire.integer("swap"),  # nova sends "" for no swap
            is_public=wire.flag("is_public", True),
            disabled=wire.flag("disabled"),
            description=wire.opt_text("description"),
            extra_specs=specs,
            powervm=spec,
            violations=violations,
            raw=body,
        )

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


EVENT_FIELDS = {
    "event": "event",
    "result": "result",
    "start_time": "start_time",
    "finish_time": "finish_time",
    "traceback": "traceback",
    "host": "host",
}


@dataclass(frozen=True)
class ActionEvent(Record):
    event: str
    result: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None
    traceback: str | None = None  # admin only
    host: str | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> ActionEvent:
        wire = Wire(body, EVENT_FIELDS)
        return cls(
            event=wire.text("event"),
            result=wire.opt_text("result"),
            start_time=wire.when("start_time"),
            finish_time=wire.when("finish_time"),
            traceback=wire.opt_text("traceback"),
            host=wire.opt_text("host"),
        )


ACTION_FIELDS = {
    "action": "action",
    "request_id": "request_id",
    "server_id": "instance_uuid",
    "user_id": "user_id",
    "project_id": "project_id",
    "start_time": "start_time",
    "updated_at": "updated_at",
    "message": "message",
    "events": "events",
}


@dataclass(frozen=True)
class InstanceAction(Record):
    """One thing done to a server (create, stop, attach_volume...) and its request id."""

    action: str
    request_id: str
    server_id: str = ""
    user_id: str | None = None
    project_id: str | None = None
    start_time: datetime | None = None
    updated_at: datetime | None = None
    message: str | None = None
    events: tuple[ActionEvent, ...] = ()

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> InstanceAction:
        wire = Wire(body, ACTION_FIELDS)
        return cls(
            action=wire.text("action"),
            request_id=wire.text("request_id"),
            server_id=wire.text("server_id"),
            user_id=wire.opt_text("user_id"),
            project_id=wire.opt_text("project_id"),
            start_time=wire.when("start_time"),
            updated_at=wire.when("updated_at"),
            message=wire.opt_text("message"),
            events=tuple(ActionEvent.from_wire(e) for e in wire.objects("events")),
        )

    @property
    def failed(self) -> bool:
        return self.message is not None or any(e.result == "Error" for e in self.events)


ATTACHMENT_FIELDS = {
    "id": "id",
    "server_id": "serverId",
    "volume_id": "volumeId",
    "device": "device",
}


@dataclass(frozen=True)
class VolumeAttachment(Record):
    server_id: str
    volume_id: str
    device: str | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> VolumeAttachment:
        wire = Wire(body, ATTACHMENT_FIELDS)
        return cls(wire.text("server_id"), wire.text("volume_id"), wire.opt_text("device"))


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


class Compute:
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
