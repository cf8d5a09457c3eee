"""Storage connectivity groups (SCGs): which hosts, through which VIOS, reach which storage.

PowerVC always has the auto-defined "Any host, all VIOS" group (every host, every provider),
which deploys use when their compute template names none. A template's
`powervm:storage_connectivity_group` (an SCG id or name) restricts placement to the group's
hosts; a volume on a storage provider the group cannot reach fails the deploy. A host is a
member through its VIOS (`<host>##<n>` ids), and only when it has at least `vios_redundancy`
VIOS in the group. Which providers a group reaches is the emulator's stand-in for fabric
zoning: `storage_providers` (empty: all), and no Fibre Channel provider without
`fc_storage_access`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.hosts import HostInventory
from powerbridge.emulator.errors import ApiError, bad_request, conflict, not_found
from powerbridge.emulator.estate import CONNECTIVITY_TYPES, StorageConnectivityGroupSpec

DEFAULT_SCG = "Any host, all VIOS"
SSP_TYPE = "SSP"


@dataclass
class ConnectivityGroup:
    id: str
    display_name: str
    created_at: float
    enabled: bool = True
    auto_defined: bool = False
    auto_add_vios: bool = True
    fc_storage_access: bool = True
    include_untagged: bool = True
    port_tag: str | None = None
    vios_redundancy: int = 1
    exact_redundancy: bool = False
    boot_connectivity: list[str] = field(default_factory=lambda: ["npiv"])
    data_connectivity: list[str] = field(default_factory=lambda: ["npiv"])
    vios_ids: list[str] = field(default_factory=list)  # empty with auto_add_vios: every VIOS
    storage_providers: list[str] = field(default_factory=list)  # empty: every provider
    updated_at: float | None = None


EDITABLE = (
    "display_name",
    "enabled",
    "auto_add_vios",
    "fc_storage_access",
    "include_untagged",
    "port_tag",
    "vios_redundancy",
    "exact_redundancy",
    "boot_connectivity",
    "data_connectivity",
    "vios_ids",
    "storage_providers",
)
# accepted and ignored: PowerVC's fabric settings the emulator does not model
IGNORED = ("fabric_set_req", "fabric_set_npiv", "ports_per_fabric_npiv", "priority_cluster")


class ConnectivityBackend:
    def __init__(self, ctx: BackendContext, inventory: HostInventory) -> None:
        self.ctx = ctx
        self.inventory = inventory
        self.provider_types = {p.name: p.type for p in ctx.estate.storage_providers}
        self._fewest_vios = min((h.spec.vios for h in inventory.hosts.values()), default=0)
        self.groups: dict[str, ConnectivityGroup] = {}
        for body in ctx.store.load("storage_connectivity_group"):
            group = ConnectivityGroup(**body)
            self.groups[group.id] = group
        if not any(g.auto_defined for g in self.groups.values()):
            self._save(ConnectivityGroup(str(uuid.uuid4()), DEFAULT_SCG, 0.0, auto_defined=True))

    def seed(self) -> None:
        for spec in self.ctx.estate.storage_connectivity_groups:
            self._save(self._from_spec(spec))

    def _from_spec(self, spec: StorageConnectivityGroupSpec) -> ConnectivityGroup:
        vios = [v for host in spec.hosts for v in self.vios_ids(host)]
        return ConnectivityGroup(
            id=str(uuid.uuid4()),
            display_name=spec.name,
            created_at=self.ctx.clock.now(),
            enabled=spec.enabled,
            auto_add_vios=not spec.hosts,
            fc_storage_access=spec.fc_storage_access,
            vios_redundancy=spec.vios_redundancy,
            boot_connectivity=list(spec.boot_connectivity),
            data_connectivity=list(spec.data_connectivity),
            vios_ids=vios,
            storage_providers=list(spec.storage_providers),
        )

    def _save(self, group: ConnectivityGroup) -> None:
        self.groups[group.id] = group
        self.ctx.store.put("storage_connectivity_group", group.id, asdict(group))

    # -- views -----------------------------------------------------------------------------
    def vios_ids(self, host_name: str) -> list[str]:
        host = self.inventory.host(host_name)
        count = host.spec.vios if host else 0
        return [f"{host_name}##{n}" for n in range(1, count + 1)]

    def list_groups(self) -> list[ConnectivityGroup]:
        return sorted(self.groups.values(), key=lambda g: (not g.auto_defined, g.created_at))

    def get(self, ref: str) -> ConnectivityGroup:
        """By id, or by display name (compute templates may name the group)."""
        found = self.groups.get(ref) or next(
            (g for g in self.groups.values() if g.display_name == ref), None
        )
        if found is None:
            raise not_found(f"Storage connectivity group {ref} could not be found.")
        return found

    def default_group(self) -> ConnectivityGroup:
        return next(g for g in self.groups.values() if g.auto_defined)

    def member_vios(self, group: ConnectivityGroup) -> list[str]:
        if group.vios_ids:
            return list(group.vios_ids)
        if group.auto_add_vios:
            return [v for host in self.inventory.hosts for v in self.vios_ids(host)]
        return []

    def covers_every_host(self, group: ConnectivityGroup) -> bool:
        """True for auto-added groups every host qualifies for (no need to filter hosts)."""
        fewest = self._fewest_vios
        return not group.vios_ids and group.auto_add_vios and group.vios_redundancy <= fewest

    def hosts(self, group: ConnectivityGroup) -> frozenset[str]:
        """Hosts with at least `vios_redundancy` VIOS in the group."""
        counts: dict[str, int] = {}
        for vios in self.member_vios(group):
            host = vios.split("##", 1)[0]
            counts[host] = counts.get(host, 0) + 1
        return frozenset(h for h, n in counts.items() if n >= group.vios_redundancy)

    def reaches(self, group: ConnectivityGroup, provider: str) -> bool:
        if group.storage_providers and provider not in group.storage_providers:
            return False
        return group.fc_storage_access or self.provider_types.get(provider) == SSP_TYPE

    def for_template(self, extra_specs: Mapping[str, str]) -> ConnectivityGroup:
        """The SCG a compute template names, else the default one (ApiError 404 if unknown)."""
        ref = extra_specs.get(powervm.Key.STORAGE_CONNECTIVITY_GROUP.value)
        return self.get(ref) if ref else self.default_group()

    # -- changes ---------------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> ConnectivityGroup:
        if "display_name" not in body:
            raise bad_request("Invalid input: 'display_name' is a required property.")
        group = ConnectivityGroup(str(uuid.uuid4()), "", self.ctx.clock.now())
        self._apply(group, body)
        self._save(group)
        return group

    def update(self, ref: str, body: Mapping[str, Any]) -> ConnectivityGroup:
        group = self.get(ref)
        if group.auto_defined and set(body) - {"enabled", "display_name"}:
            raise bad_request(
                f"The auto-defined storage connectivity group {group.display_name} only allows "
                "changing display_name and enabled."
            )
        self._apply(group, body)
        group.updated_at = self.ctx.clock.now()
        self._save(group)
        return group

    def delete(self, ref: str) -> None:
        group = self.get(ref)
        if group.auto_defined:
            raise bad_request(
                f"The auto-defined storage connectivity group {group.display_name} cannot be "
                "deleted."
            )
        del self.groups[group.id]
        self.ctx.store.delete("storage_connectivity_group", group.id)

    def _apply(self, group: ConnectivityGroup, body: Mapping[str, Any]) -> None:
        unknown = sorted(set(body) - set(EDITABLE) - set(IGNORED) - {"id"})
        if unknown:
            raise bad_request(
                f"Invalid input: additional property {unknown[0]!r} is not allowed; "
                f"properties: {', '.join(EDITABLE)}."
            )
        values = {key: _parse(key, body[key]) for key in EDITABLE if key in body}
        name = values.get("display_name")
        if name is not None and any(
            g.display_name == name for g in self.groups.values() if g.id != group.id
        ):
            raise conflict(f"A storage connectivity group named {name} already exists.")
        self._check_references(values)
        known = {f.name for f in fields(ConnectivityGroup)}
        for key, value in values.items():
            if key in known:
                setattr(group, key, value)

    def _check_references(self, values: Mapping[str, Any]) -> None:
        for vios in values.get("vios_ids", []):
            host = vios.split("##", 1)[0]
            if vios not in self.vios_ids(host):
                raise bad_request(
                    f"Invalid vios_ids: VIOS {vios} is not managed (VIOS ids are "
                    "<hypervisor_hostname>##<n>)."
                )
        for provider in values.get("storage_providers", []):
            if provider not in self.provider_types:
                raise bad_request(f"Invalid storage_providers: unknown provider {provider}.")


def _parse(key: str, value: Any) -> Any:
    """One field of a create/update body, checked (PowerVC scripts send booleans as text)."""
    if key == "display_name":
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= 255:
            raise bad_request("Invalid display_name: a name of 1 to 255 characters is required.")
        return value.strip()
    if key == "port_tag":
        if value is not None and not isinstance(value, str):
            raise bad_request("Invalid port_tag: text or null is required.")
        return value
    if key == "vios_redundancy":
        return _redundancy(value)
    if key in ("boot_connectivity", "data_connectivity"):
        return _connectivity(key, value)
    if key in ("vios_ids", "storage_providers"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_request(f"Invalid {key}: a list of strings is required.")
        return list(dict.fromkeys(value))
    if key in EDITABLE:
        return _boolean(key, value)
    return value


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return powervm.parse_bool(value)
        except ValueError:
            pass
    raise bad_request(f"Invalid {key}: {value!r} is not a boolean (true or false).")


def _redundancy(value: Any) -> int:
    text = str(value).strip() if isinstance(value, int | str) and value is not True else ""
    if not text.isdigit() or not 1 <= int(text) <= 4:
        raise bad_request(f"Invalid vios_redundancy: {value!r}; a whole number from 1 to 4.")
    return int(text)


def _connectivity(key: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise bad_request(f"Invalid {key}: a non-empty list is required.")
    for item in items:
        if item not in CONNECTIVITY_TYPES:
            raise ApiError(
                "badRequest",
                f"Invalid {key}: {item!r} is not one of {', '.join(CONNECTIVITY_TYPES)}.",
            )
    return list(items)
