"""The domain invariants of an emulator's state, checked after a crash (or at any time).

The store writes each record through on its own, so a process killed between two writes could
leave a state no API call makes. `check(emulator)` reads the loaded state (what a restart
serves) and names every breach, one line each:

- attachments: every cinder attachment names an existing volume and a live server whose
  block device mappings list that volume, and every attached mapping of a live server has its
  attachment;
- hosts: each host's memory, processing units and vCPUs in use equal the sum of the claims of
  the servers it holds (a live migration's claim on its target counted), and the servers it
  holds are exactly those placed on it with a claim;
- ports: a port owned by compute (`compute:nova`) belongs to a live server;
- no half-made record: a server in BUILD has a lifecycle step running or is queued for its
  host, an ACTIVE one has a host and a claim, an ERROR one its fault; a volume in a transient
  status has the step that ends it.

`powerbridge emulator check --data DIR` runs it on a stopped emulator's data dir.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powerbridge.emulator.backend.server_records import Server
    from powerbridge.emulator.state import Emulator

COMPUTE_OWNER = "compute:nova"
# a volume in one of these is between two steps: the step that ends it must be pending
VOLUME_STEP_STATUSES = {
    "creating": "create",
    "extending": "extend",
    "deleting": "delete",
    "uploading": "upload",
}


def check(emulator: Emulator) -> list[str]:
    """Every invariant breach of `emulator`'s state, as one line each ([] when sound)."""
    live = {
        server.id: server
        for server in emulator.server_registry.servers.values()
        if not server.deleted
    }
    return [
        *_attachments(emulator, live),
        *_hosts(emulator, live),
        *_ports(emulator, live),
        *_half_made(emulator, live),
    ]


def _attachments(emulator: Emulator, live: dict[str, Server]) -> Iterator[str]:
    volumes = emulator.volumes
    recorded: set[tuple[str, str]] = set()
    for attachment in volumes.attachments.values():
        pair = (attachment.server_id, attachment.volume_id)
        recorded.add(pair)
        server = live.get(attachment.server_id)
        if attachment.volume_id not in volumes.volumes:
            yield f"attachment {attachment.attachment_id}: volume {attachment.volume_id} is gone"
        if server is None:
            yield (
                f"attachment {attachment.attachment_id} of volume {attachment.volume_id}: "
                f"server {attachment.server_id} is gone"
            )
        elif attachment.volume_id not in {m.volume_id for m in server.mappings()}:
            yield (
                f"attachment {attachment.attachment_id}: server {server.id} does not list "
                f"volume {attachment.volume_id} among its block devices"
            )
    for server in live.values():
        for mapping in server.mappings():
            if mapping.attached and (server.id, mapping.volume_id) not in recorded:
                yield (
                    f"server {server.id} ({server.name}): volume {mapping.volume_id} attached "
                    "with no attachment recorded on the volume"
                )


def _hosts(emulator: Emulator, live: dict[str, Server]) -> Iterator[str]:
    for name, host in emulator.hosts.hosts.items():
        holders = [s for s in live.values() if s.claimed and name in (s.host, s.migration_target)]
        memory = sum(s.claim.memory_mb for s in holders)
        units = sum((s.claim.proc_units for s in holders), Decimal(0))
        vcpus = sum(s.claim.vcpus for s in holders)
        used = (host.memory_used_mb, host.units_used, host.vcpus_used)
        if used != (memory, units, vcpus):
            yield (
                f"host {name}: in use {used[0]} MB, {used[1]} units, {used[2]} vCPUs; its "
                f"servers' claims add up to {memory} MB, {units} units, {vcpus} vCPUs"
            )
        placed = {s.id for s in holders}
        if host.servers != placed:
            extra = sorted(host.servers - placed)
            missing = sorted(placed - host.servers)
            yield f"host {name}: holds servers {extra} not placed on it, misses {missing}"


def _ports(emulator: Emulator, live: dict[str, Server]) -> Iterator[str]:
    for port in emulator.networks.ports.values():
        if port.device_owner == COMPUTE_OWNER and port.device_id not in live:
            yield f"port {port.id}: owned by server {port.device_id}, which is gone"


def _half_made(emulator: Emulator, live: dict[str, Server]) -> Iterator[str]:
    for server in live.values():
        where = f"server {server.id} ({server.name})"
        if server.status == "BUILD" and server.step is None and not server.queued:
            yield f"{where}: in BUILD with no lifecycle step running and not queued"
        if server.status == "ACTIVE" and (server.host is None or not server.claimed):
            yield f"{where}: ACTIVE with no host or no claim"
        if server.status == "ERROR" and not server.fault:
            yield f"{where}: ERROR with no fault"
    for volume in emulator.volumes.volumes.values():
        step = VOLUME_STEP_STATUSES.get(volume.status)
        if step is not None and volume.step != step:
            yield f"volume {volume.id}: {volume.status} with no pending {step} step"
