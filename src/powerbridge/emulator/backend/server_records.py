"""The compute service's records: servers, their volume mappings, instance actions, requests.

Records are plain dataclasses persisted with `asdict` (new fields always have defaults, so
records written by an older emulator still load).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from powerbridge.emulator.backend.flavors import Flavor
from powerbridge.emulator.backend.hosts import Claim
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.errors import bad_request, conflict
from powerbridge.emulator.logs import LogContext

POWER_NOSTATE, POWER_RUNNING, POWER_SHUTDOWN = 0, 1, 4


@dataclass
class VolumeMapping:
    volume_id: str
    device: str
    boot_index: int | None = None
    delete_on_termination: bool = False
    attached: bool = False


@dataclass
class Server:
    id: str
    name: str
    project_id: str
    user_id: str
    flavor: dict[str, Any]
    image_id: str | None
    created: float
    updated: float
    request_id: str
    seq: int
    instance_name: str
    status: str = "BUILD"
    vm_state: str = "building"
    task_state: str | None = "scheduling"
    power_state: int = POWER_NOSTATE
    host: str | None = None
    availability_zone: str | None = None  # requested; the host's zone once scheduled
    requested_host: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    key_name: str | None = None
    key_data: str | None = None  # the key pair's public key, copied at create (nova's key_data)
    user_data: str | None = None
    config_drive: str = ""
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    locked: bool = False
    reservation_id: str = ""
    launch_index: int = 0
    volumes: list[dict[str, Any]] = field(default_factory=list)  # VolumeMapping as dicts
    fault: dict[str, Any] | None = None
    launched_at: float | None = None
    terminated_at: float | None = None
    step: str | None = None  # the lifecycle step the clock is running, if any
    step_due: float | None = None
    queued: bool = False
    claim_memory_mb: int = 0
    claim_units: str = "0"
    claim_vcpus: int = 0
    claimed: bool = False
    deleted: bool = False
    migration_target: str | None = None  # a live migration in flight holds a claim there
    old_flavor: dict[str, Any] | None = None  # a resize waiting for confirm or revert
    old_claim: list[Any] | None = None  # [memory MB, units text, vcpus] before the resize
    previous_vm_state: str | None = None  # where a resize or rebuild returns to
    capture_image_id: str | None = None  # the image a createImage is producing
    access_ip_v4: str = ""  # nova's accessIPv4/accessIPv6, canonical text or ""
    access_ip_v6: str = ""

    @property
    def claim(self) -> Claim:
        return Claim(self.claim_memory_mb, Decimal(self.claim_units), self.claim_vcpus)

    def set_claim(self, claim: Claim) -> None:
        self.claim_memory_mb = claim.memory_mb
        self.claim_units = str(claim.proc_units)
        self.claim_vcpus = claim.vcpus

    def mappings(self) -> list[VolumeMapping]:
        return [VolumeMapping(**m) for m in self.volumes]

    def log_context(self) -> LogContext:
        return LogContext(self.request_id, self.user_id, self.project_id)


@dataclass
class InstanceAction:
    id: str
    server_id: str
    action: str
    request_id: str
    user_id: str
    project_id: str
    start_time: float
    message: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    updated_at: float | None = None


@dataclass
class NetworkRequest:
    network_id: str | None = None
    fixed_ip: str | None = None
    port_id: str | None = None


@dataclass
class VolumeRequest:
    """One `block_device_mapping_v2` entry, validated (or a volume of a captured image)."""

    source_type: str  # volume | image | blank | snapshot | image_volume (clone of an image's)
    uuid: str | None
    boot_index: int | None
    volume_size: int | None
    delete_on_termination: bool
    volume_type: str | None = None
    device_name: str | None = None


@dataclass
class ServerRequest:
    name: str
    image_id: str | None
    flavor: Flavor | None
    inline_flavor: dict[str, Any] | None
    networks: list[NetworkRequest]
    volumes: list[VolumeRequest]
    metadata: dict[str, str]
    availability_zone: str | None = None
    key_name: str | None = None
    user_data: str | None = None
    config_drive: bool = False
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    min_count: int = 1
    max_count: int = 1
    scheduler_hints: dict[str, Any] = field(default_factory=dict)
    access_ip_v4: str = ""
    access_ip_v6: str = ""


def flavor_snapshot(flavor: Flavor | None, inline: dict[str, Any] | None) -> dict[str, Any]:
    """What the server keeps of its flavor (nova embeds this copy in 2.47+ bodies)."""
    if flavor is not None:
        return {
            "id": flavor.id,
            "original_name": flavor.name,
            "ram": flavor.ram,
            "vcpus": flavor.vcpus,
            "disk": flavor.disk,
            "ephemeral": flavor.ephemeral,
            "swap": flavor.swap,
            "extra_specs": dict(flavor.extra_specs),
        }
    inline = inline or {}
    return {
        "id": None,
        "original_name": "inline",
        "ram": int(inline["ram"]),
        "vcpus": int(inline["vcpus"]),
        "disk": int(inline.get("disk", 0)),
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {str(k): str(v) for k, v in (inline.get("extra_specs") or {}).items()},
    }


def access_ip(text: str, version: int) -> str:
    """nova's accessIPv4/v6 as stored and shown: the canonical form (RFC 5952 for IPv6), or ""
    for an empty value. Raises a 400 for text that is not an address of that version."""
    if text == "":
        return ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None or address.version != version:
        field_name = f"accessIPv{version}"
        raise bad_request(
            f"Invalid input for field/attribute {field_name}. Value: {text}. "
            f"'{text}' is not a 'ipv{version}'"
        )
    return str(address)


def make_fault(message: str, now: float, code: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "created": now,
        "details": f"Traceback (most recent call last):\n  ...\n{message}",
    }


def requested_host(zone: str | None) -> str | None:
    """PowerVC's `availability_zone` forms `:<host>` and `<zone>:<host>` name a host."""
    if zone and ":" in zone:
        host = zone.split(":", 1)[1]
        return host or None
    return None


def requested_zone(zone: str | None) -> str | None:
    """The zone part of `<zone>[:<host>]` (None when empty)."""
    if not zone:
        return None
    return zone.split(":", 1)[0] or None


def require_unlocked(server: Server, caller: Caller, action: str) -> None:
    if server.locked and not caller.is_admin:
        raise conflict(f"Instance {server.id} is locked")


def require_state(server: Server, action: str, vm_states: tuple[str, ...]) -> None:
    """Nova's 409 for an action the server's vm_state or running task does not allow."""
    if server.vm_state not in vm_states or server.task_state is not None:
        state = server.vm_state if server.task_state is None else server.task_state
        kind = "task_state" if server.task_state is not None else "vm_state"
        raise conflict(f"Cannot '{action}' instance {server.id} while it is in {kind} {state}")
