"""Deploy one VM the way PowerVC administrators do, all or nothing.

`resolve(cloud, order)` turns a `ServerOrder` (names or ids) into a `ResolvedOrder`: every
name looked up, the compute template merged with its overrides (and the storage connectivity
group) into PowerVC's inline flavor when there are any, and the PowerVM rules checked
(`InvalidTemplate` before anything is created, unless `validate=False`).

`provision(cloud, resolved)` then creates the new volumes, waits until they are available
(one list call per tick), and sends `POST /servers` with every volume in
`block_device_mapping_v2`. If the deploy is refused, the volumes it created are deleted again
and `ProvisionFailed` says so: nothing half-created is left behind. A deploy that is accepted
(202) and fails later keeps its volumes, as PowerVC does; the waiter reports its fault.

Placement as PowerVC takes it: `host` becomes the availability zone `:<host>`, `host_group` the
group's zone, `collocation_rule` the scheduler hint `group`, `storage_connectivity_group` the
extra spec `powervm:storage_connectivity_group` (so the template goes inline).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from powerbridge.client._wire import Record
from powerbridge.client.address_conflicts import explain_taken_address
from powerbridge.client.cloud import Cloud
from powerbridge.client.compute import (
    BlockDevice,
    ComputeTemplate,
    CreatedServer,
    InlineFlavor,
    NetworkRequest,
    ServerCreate,
)
from powerbridge.client.errors import ClientError, InvalidTemplate, NotFound, ProvisionFailed
from powerbridge.client.image import Image
from powerbridge.client.network import Network
from powerbridge.client.powervc import CollocationRule, HostGroup, StorageConnectivityGroup
from powerbridge.client.volume import StorageTemplate, Volume, VolumeCreate
from powerbridge.client.waiter import Outcome, wait_for_volumes
from powerbridge.powervm import Key, RuleViolation

T = TypeVar("T")
SIZE_KEYS = ("ram", "vcpus", "disk")
VOLUME_TIMEOUT = 600.0


@dataclass(frozen=True)
class NewVolume(Record):
    """A volume to create for the VM (`--volume SIZE:STORAGE_TEMPLATE[:shared]`)."""

    size_gb: int
    storage_template: str  # name or id
    shared: bool = False  # multiattach
    name: str | None = None  # default: <server>-vol<N>


@dataclass(frozen=True)
class ServerOrder(Record):
    """One VM as a user describes it: names or ids, overrides as `powervm:KEY` -> value."""

    name: str
    image: str
    template: str
    networks: tuple[tuple[str, str | None], ...] = ()  # (name or id, fixed IP or None)
    new_volumes: tuple[NewVolume, ...] = ()
    attach_volumes: tuple[str, ...] = ()  # existing volumes, e.g. a shared one, by name or id
    host: str | None = None
    host_group: str | None = None
    storage_connectivity_group: str | None = None
    collocation_rule: str | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)
    user_data: bytes | None = field(default=None, repr=False)
    key_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    validate: bool = True

    def __post_init__(self) -> None:
        if self.host and self.host_group:
            raise ClientError("give a host or a host group, not both")
        for key, value in self.overrides.items():
            if key in SIZE_KEYS and not str(value).strip().isdigit():
                raise ClientError(f"{key} must be a whole number, not {value!r}")


@dataclass(frozen=True)
class ResolvedOrder(Record):
    """A `ServerOrder` with everything looked up and the flavor decided."""

    order: ServerOrder
    image: Image
    template: ComputeTemplate
    flavor: InlineFlavor | None  # PowerVC's inline flavor when there are overrides
    networks: tuple[tuple[Network, str | None], ...]
    storage_templates: tuple[StorageTemplate, ...]  # one per order.new_volumes
    attach_volumes: tuple[Volume, ...]
    availability_zone: str | None
    host_group: HostGroup | None
    storage_connectivity_group: StorageConnectivityGroup | None
    collocation_rule: CollocationRule | None
    violations: tuple[RuleViolation, ...]  # PowerVM rules broken (sent anyway: validate off)

    def request(self, new_volume_ids: Sequence[str] = ()) -> ServerCreate:
        devices = [BlockDevice(volume_id) for volume_id in new_volume_ids]
        devices += [BlockDevice(volume.id) for volume in self.attach_volumes]
        order = self.order
        return ServerCreate(
            name=order.name,
            image_id=self.image.id,
            flavor_id=None if self.flavor else self.template.id,
            flavor=self.flavor,
            networks=tuple(NetworkRequest(net.id, ip) for net, ip in self.networks),
            block_devices=tuple(devices),
            availability_zone=self.availability_zone,
            scheduler_hints={"group": self.collocation_rule.id} if self.collocation_rule else {},
            user_data=order.user_data,
            key_name=order.key_name,
            metadata=order.metadata,
        )


@dataclass(frozen=True)
class Provisioned(Record):
    """An accepted deploy: the server's id and request id, and the volumes made for it."""

    server: CreatedServer
    volumes: tuple[Volume, ...]
    request: ServerCreate = field(repr=False)


# -- resolve ----------------------------------------------------------------------------------
async def resolve(cloud: Cloud, order: ServerOrder) -> ResolvedOrder:
    """Look every name up (concurrently) and check the PowerVM rules."""
    compute, powervc = cloud.compute, cloud.powervc
    image, template, networks, templates, attach, zone, group, scg, rule = await _all(
        cloud.image.find_image(order.image),
        compute.find_template(order.template),
        _each([cloud.network.find_network(name) for name, _ in order.networks]),
        _each([cloud.volume.find_storage_template(v.storage_template) for v in order.new_volumes]),
        _each([cloud.volume.find_volume(name) for name in order.attach_volumes]),
        _host_zone(cloud, order.host),
        _maybe(order.host_group, powervc.find_host_group),
        _maybe(order.storage_connectivity_group, powervc.find_storage_connectivity_group),
        _maybe(order.collocation_rule, powervc.find_collocation_rule),
    )
    overrides = dict(order.overrides)
    if scg is not None:
        overrides[Key.STORAGE_CONNECTIVITY_GROUP.value] = scg.id
    flavor = template.with_overrides(overrides) if overrides else None
    violations = tuple(flavor.check() if flavor else template.violations)
    if violations and order.validate:
        raise InvalidTemplate(_described(template.name, order.overrides), violations)
    if group is not None:
        zone = group.zone
    return ResolvedOrder(
        order=order,
        image=image,
        template=template,
        flavor=flavor,
        networks=tuple(zip(networks, (ip for _, ip in order.networks), strict=True)),
        storage_templates=tuple(templates),
        attach_volumes=tuple(attach),
        availability_zone=zone,
        host_group=group,
        storage_connectivity_group=scg,
        collocation_rule=rule,
        violations=violations,
    )


def _described(template: str, overrides: Mapping[str, str]) -> str:
    if not overrides:
        return template
    changes = ", ".join(f"{key}={value}" for key, value in overrides.items())
    return f"{template} with {changes}"


async def _all(*awaitables: Awaitable[Any]) -> list[Any]:
    """Await all; raise the first failure in argument order (the others still finish)."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


async def _each(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    return await _all(*awaitables)


async def _maybe(value: str | None, find: Callable[[str], Awaitable[T]]) -> T | None:
    return None if value is None else await find(value)


async def _host_zone(cloud: Cloud, host: str | None) -> str | None:
    """`:<hypervisor_hostname>` for a host given by name, display name or id. Without the
    hypervisors API (404) the name is passed on as given."""
    if host is None:
        return None
    try:
        found = await cloud.powervc.find_host(host)
    except NotFound:
        return f":{host}"
    return f":{found.name}"


# -- provision --------------------------------------------------------------------------------
logger = logging.getLogger("powerbridge.client")
CANCEL_CLEANUP_TIMEOUT = 30.0  # seconds a Ctrl-C waits to delete the new volumes


async def provision(
    cloud: Cloud,
    resolved: ResolvedOrder,
    *,
    volume_timeout: float = VOLUME_TIMEOUT,
    interval: float = 1.0,
) -> Provisioned:
    """Create the volumes, then the server; on refusal remove the volumes again, and on a
    cancel (Ctrl-C) too while the server's create has not been sent (once sent, the volumes
    may be its: they stay)."""
    created: list[Volume] = []
    server_sent = False
    try:
        for index, (spec, template) in enumerate(
            zip(resolved.order.new_volumes, resolved.storage_templates, strict=True), start=1
        ):
            volume, _ = await cloud.volume.create_volume(
                VolumeCreate(
                    size=spec.size_gb,
                    name=spec.name or f"{resolved.order.name}-vol{index}",
                    storage_template=template.id,
                    multiattach=spec.shared,
                )
            )
            created.append(volume)
        await _volumes_ready(cloud, created, volume_timeout, interval)
        request = resolved.request([volume.id for volume in created])
        server_sent = True
        server = await cloud.compute.create_server(request)
    except ClientError as refused:
        fixed = [(net.id, net.name, ip) for net, ip in resolved.networks if ip]
        await explain_taken_address(cloud, refused, fixed)
        raise await _cleanup(cloud, refused, created, volume_timeout, interval) from refused
    except asyncio.CancelledError:
        if created and not server_sent:
            cause = ClientError("interrupted before the server was created")
            timeout = min(volume_timeout, CANCEL_CLEANUP_TIMEOUT)
            failed = await _cleanup(cloud, cause, created, timeout, min(interval, 0.5))
            for kind, resource_id in failed.left_behind:
                logger.warning("interrupted: could not delete the new %s %s", kind, resource_id)
        raise
    return Provisioned(server=server, volumes=tuple(created), request=request)


async def _volumes_ready(
    cloud: Cloud, volumes: Sequence[Volume], timeout: float, interval: float
) -> None:
    if not volumes:
        return
    outcomes = await wait_for_volumes(
        cloud.volume,
        [v.id for v in volumes],
        done=("available",),
        timeout=timeout,
        interval=interval,
    )
    bad = [o for o in outcomes.values() if not o.ok]
    if bad:
        described = ", ".join([await _failed_volume(cloud, o) for o in bad])
        raise ClientError(f"volumes did not become available: {described}")


async def _failed_volume(cloud: Cloud, outcome: Outcome) -> str:
    """`<id> failed (error): <cinder's user message>`; the message only for a volume in
    error (the reason is asked for on this failure path only)."""
    line = f"{outcome.id} {outcome.result} ({outcome.status})"
    if outcome.status != "error":
        return line
    reason = await cloud.volume.failure_reason(outcome.id)
    return f"{line}: {reason}" if reason else line


async def _cleanup(
    cloud: Cloud, cause: ClientError, volumes: Sequence[Volume], timeout: float, interval: float
) -> ProvisionFailed:
    """Delete `volumes` (once each can be: not while it is still being created)."""
    if not volumes:
        return ProvisionFailed(cause)
    ids = [v.id for v in volumes]
    await wait_for_volumes(
        cloud.volume, ids, done=("available", "error"), timeout=timeout, interval=interval
    )
    cleaned, left = [], []
    for volume_id in ids:
        try:
            await cloud.volume.delete_volume(volume_id)
        except ClientError:
            left.append(("volume", volume_id))
        else:
            cleaned.append(("volume", volume_id))
    return ProvisionFailed(cause, cleaned_up=cleaned, left_behind=left)
