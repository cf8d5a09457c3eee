"""From a server to a placement request: its template's claim, availability zone or host, storage
connectivity group (hosts, and the providers of its volumes), processor compatibility mode and
collocation rule. Deploys and migrations both go through here, so they honour the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.host_groups import HostGroupBackend
from powerbridge.emulator.backend.hosts import Claim, Host, HostInventory, NoValidHost
from powerbridge.emulator.backend.placement import HostFilter, PlacementRequest, Scheduler
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_records import Server, requested_zone
from powerbridge.emulator.backend.storage_connectivity import ConnectivityBackend
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError


def template_claim(flavor: Mapping[str, Any]) -> Claim:
    """What a (valid) compute template takes from its host."""
    spec = powervm.parse_template(flavor["ram"], flavor["vcpus"], flavor["extra_specs"])
    memory, units = powervm.resource_claim(spec)
    return Claim(memory, units, spec.vcpus)


class ServerPlacement:
    def __init__(
        self,
        *,
        inventory: HostInventory,
        scheduler: Scheduler,
        host_groups: HostGroupBackend,
        server_groups: ServerGroupBackend,
        connectivity: ConnectivityBackend,
        volumes: VolumeBackend,
    ) -> None:
        self.inventory = inventory
        self.scheduler = scheduler
        self.host_groups = host_groups
        self.server_groups = server_groups
        self.connectivity = connectivity
        self.volumes = volumes

    def place_new(self, server: Server, claim: Claim) -> Host:
        """Choose and claim a host for a deploy (NoValidHost says why none)."""
        host = None
        if server.requested_host:
            found = self.inventory.by_display_name(server.requested_host)
            host = found.name if found else server.requested_host
        zone = requested_zone(server.availability_zone)
        request = self._request(server, claim, zone=zone, host=host, extra=())
        return self.scheduler.place(server.id, request)

    def place_migration(self, server: Server, target: str | None) -> Host:
        """Choose and claim a destination for a migration, within the server's host group."""
        source = server.host or ""
        same = HostFilter(
            frozenset({source}),
            keep=False,
            reason=f"Unable to migrate instance ({server.id}) to current host ({source}).",
        )
        host = None
        if target is not None:
            found = self.inventory.by_display_name(target)
            if found is None:
                raise NoValidHost(f"Compute host {target} could not be found.")
            host = found.name
            blocked = self.server_groups.blocks_move(server.id, host)
            if blocked:
                raise NoValidHost(blocked)
        zone = self.scheduler.zone_of(source)
        request = self._request(server, server.claim, zone=zone, host=host, extra=(same,))
        return self.scheduler.place(server.id, request)

    def _request(
        self,
        server: Server,
        claim: Claim,
        *,
        zone: str | None,
        host: str | None,
        extra: tuple[HostFilter, ...],
    ) -> PlacementRequest:
        collocation = self.server_groups.collocation(server.id)
        filters = (
            *self._storage_filters(server),
            *self._compatibility_filters(server),
            *extra,
            *collocation.filters,
        )
        return PlacementRequest(claim, zone, host, filters, collocation.preferences)

    def _storage_filters(self, server: Server) -> tuple[HostFilter, ...]:
        try:
            group = self.connectivity.for_template(server.flavor["extra_specs"])
        except ApiError as missing:
            raise NoValidHost(missing.message) from None
        name = group.display_name
        if not group.enabled:
            raise NoValidHost(f"Storage connectivity group {name} is disabled.")
        for mapping in server.mappings():
            provider = self._provider(mapping.volume_id)
            if provider and not self.connectivity.reaches(group, provider):
                raise NoValidHost(
                    f"Storage connectivity group {name} cannot reach storage provider "
                    f"{provider} of volume {mapping.volume_id}."
                )
        if self.connectivity.covers_every_host(group):
            return ()
        hosts = self.connectivity.hosts(group)
        reason = (
            f"Storage connectivity group {name} has no member host that fits "
            f"(members: {', '.join(sorted(hosts)) or 'none'})."
        )
        return (HostFilter(hosts, keep=True, reason=reason),)

    def _provider(self, volume_id: str) -> str | None:
        volume = self.volumes.volumes.get(volume_id)
        return volume.provider if volume is not None else None

    def _compatibility_filters(self, server: Server) -> tuple[HostFilter, ...]:
        wanted = server.flavor["extra_specs"].get(powervm.Key.PROCESSOR_COMPATIBILITY.value)
        if not wanted or wanted.lower() == "default":
            return ()
        hosts = frozenset(
            h.name
            for h in self.inventory.hosts.values()
            if wanted.lower() in (m.lower() for m in h.spec.processor_compatibility_modes)
        )
        reason = f"No candidate host supports processor compatibility mode {wanted}."
        return (HostFilter(hosts, keep=True, reason=reason),)
