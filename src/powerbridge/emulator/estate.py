"""The estate: what the emulated PowerVC manages, loaded from YAML.

`default_estate.yaml` ships with the package; `--estate FILE` replaces it. Every section is a
list of typed records; an unknown key, a missing required one, a value of the wrong type or a
reference to something the estate does not hold is an `EstateError` naming the file, the section
and the key, so a bad file stops the start-up with a fix rather than failing later.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from powerbridge.emulator.backend.behaviours import parse_behaviour
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate_unmanaged import (
    UnmanagedLparSpec,
    UnmanagedVolumeSpec,
    check_unmanaged,
)
from powerbridge.emulator.estate_utilization import UtilizationSpec, check_utilization
from powerbridge.powervc_roles import ROLE_NAMES as POLICY_ROLE_NAMES


class EstateError(ValueError):
    """The estate file is not usable; the message names the place and the fix."""


@dataclass(frozen=True)
class HostSpec:
    name: str
    memory_mb: int
    processors: int
    display_name: str = ""
    processor_compatibility_modes: list[str] = field(default_factory=lambda: ["default"])
    vios: int = 2
    max_concurrent_deploys: int = 4
    state: str = "operating"
    host_ip: str = ""  # empty: a made-up management address in 10.20.0.0/16


@dataclass(frozen=True)
class SubnetSpec:
    name: str
    cidr: str
    gateway_ip: str | None = None
    allocation_pools: list[dict[str, str]] = field(default_factory=list)
    dns_nameservers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    vlan: int
    physical_network: str = "default"
    shared: bool = True
    subnets: list[SubnetSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ImageSpec:
    name: str
    os_distro: str
    os_version: str = ""
    min_disk: int = 0
    size_gb: int = 20
    endianness: str = "big-endian"
    description: str = ""
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ComputeTemplateSpec:
    name: str
    ram: int
    vcpus: int
    disk: int = 0
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StorageProviderSpec:
    name: str
    type: str
    capacity_gb: int
    pools: list[str] = field(default_factory=list)
    # the controller's management address: cinder names the provider's file and log by it
    # (cinder-<IP>.conf, volume-<IP>.log); empty: a made-up one in 10.30.0.0/16
    management_ip: str = ""


@dataclass(frozen=True)
class StorageTemplateSpec:
    name: str
    provider: str
    pool: str = ""
    description: str = ""
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostGroupSpec:
    """A PowerVC host group (a nova aggregate with one availability zone)."""

    name: str
    hosts: list[str] = field(default_factory=list)
    availability_zone: str = ""  # empty: the group's name, as PowerVC's user interface does
    placement_policy: str = "striping"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StorageConnectivityGroupSpec:
    """A storage connectivity group: which hosts (through their VIOS) reach which storage."""

    name: str
    hosts: list[str] = field(default_factory=list)  # empty: every host, new ones too
    storage_providers: list[str] = field(default_factory=list)  # empty: every provider
    boot_connectivity: list[str] = field(default_factory=lambda: ["npiv"])
    data_connectivity: list[str] = field(default_factory=lambda: ["npiv"])
    vios_redundancy: int = 1
    fc_storage_access: bool = True
    enabled: bool = True


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    description: str = ""


@dataclass(frozen=True)
class UserSpec:
    name: str
    password: str | None = None
    roles: dict[str, list[str]] = field(default_factory=dict)
    email: str = ""


# the roles every PowerVC has (keystone's defaults and PowerVC's own, powervc_roles says
# what each may do); estate users are granted them by name
ROLE_NAMES = POLICY_ROLE_NAMES
# PowerVC's placement policies; the utilization-balanced ones rank by allocation (the
# emulator has no running averages), so they are aliases of the allocation-balanced ones
PLACEMENT_POLICIES = ("striping", "packing", "cpu_balanced", "memory_balanced")
POLICY_ALIASES = {
    "cpu_allocation_balanced": "cpu_balanced",
    "memory_allocation_balanced": "memory_balanced",
    "cpu_utilization_balanced": "cpu_balanced",
    "memory_utilization_balanced": "memory_balanced",
}
CONNECTIVITY_TYPES = ("npiv", "vscsi", "pv_vscsi", "ibm_ssp")
# hosts outside every declared host group belong to PowerVC's default host group
DEFAULT_HOST_GROUP = "Default Group"
DEFAULT_ZONE = "nova"


def placement_policy(name: str) -> str | None:
    """The canonical policy for `name` (aliases and case folded), or None if unknown."""
    word = name.strip().lower().replace("-", "_").replace(" ", "_")
    word = POLICY_ALIASES.get(word, word)
    return word if word in PLACEMENT_POLICIES else None


DEFAULT_TIMINGS: dict[str, float] = {
    "scheduling": 1,
    "block_device_mapping": 3,
    "networking": 1,
    "spawning": 5,
    "volume_create": 2,
    "volume_attach": 1,
    "volume_detach": 1,
    "volume_delete": 1,
    "server_delete": 2,
    "power_off": 2,
    "power_on": 3,
    "reboot": 4,
    "image_capture": 5,
    "live_migration": 10,
    "resize": 5,
    "rebuild": 6,
    "remote_restart": 8,  # PowerVC's simplified remote restart of one VM
    # simulated AIX nodes and PowerHA (docs/emulator-aix.md)
    "aix_boot": 30,
    "caa_create": 20,
    "cluster_sync": 15,
    "cluster_join": 10,
    "cluster_barrier": 5,
    "rg_acquire": 10,
    "failure_detection": 20,
}


@dataclass(frozen=True)
class Estate:
    powervc_version: str = "2.2.1"
    region: str = "RegionOne"
    instance_name_template: str = "%(display_name).33s-%(uuid).8s-%(seq)08d"
    # PowerVC adds `health_status` to server bodies; strict nova schemas (tempest) reject it
    server_health_status: bool = True
    # PowerVC adds proc_units, maintenance_status, service.host_display_name... to hypervisors;
    # strict nova schemas (tempest) reject them too
    hypervisor_powervc_fields: bool = True
    # nova's option: seconds after which a resize confirms itself (0: wait for confirmResize)
    resize_confirm_window: float = 0
    # the policy of the default host group (every host outside a declared group)
    default_placement_policy: str = "striping"
    timings: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TIMINGS))
    hosts: list[HostSpec] = field(default_factory=list)
    networks: list[NetworkSpec] = field(default_factory=list)
    images: list[ImageSpec] = field(default_factory=list)
    compute_templates: list[ComputeTemplateSpec] = field(default_factory=list)
    storage_providers: list[StorageProviderSpec] = field(default_factory=list)
    storage_templates: list[StorageTemplateSpec] = field(default_factory=list)
    host_groups: list[HostGroupSpec] = field(default_factory=list)
    storage_connectivity_groups: list[StorageConnectivityGroupSpec] = field(default_factory=list)
    projects: list[ProjectSpec] = field(default_factory=list)
    users: list[UserSpec] = field(default_factory=list)
    # fault injection rules, with the fields of `POST /powervc/emulator/v1/behaviours`
    behaviours: list[dict[str, Any]] = field(default_factory=list)
    # LPARs and volumes on the hosts and providers that PowerVC does not manage (onboarding)
    unmanaged_lpars: list[UnmanagedLparSpec] = field(default_factory=list)
    unmanaged_volumes: list[UnmanagedVolumeSpec] = field(default_factory=list)
    # VMs' CPU and memory use as fractions of their allocation, for the optimizer (DRO)
    utilization: list[UtilizationSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        # every provider has a management IP: the declared one, or 10.30.<n / 250>.<n % 250 + 1>
        providers = [
            provider
            if provider.management_ip
            else dataclasses.replace(
                provider, management_ip=f"10.30.{number // 250}.{number % 250 + 1}"
            )
            for number, provider in enumerate(self.storage_providers)
        ]
        object.__setattr__(self, "storage_providers", providers)

    def provider_ip(self, name: str) -> str:
        """The management IP of storage provider `name` (the name itself if unknown)."""
        return next((p.management_ip for p in self.storage_providers if p.name == name), name)


def load_estate(path: Path | None = None) -> Estate:
    """Load `path`, or the packaged default estate when `path` is None."""
    import yaml

    if path is None:
        text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
        where = "default_estate.yaml"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as problem:
            raise EstateError(f"cannot read estate file {path}: {problem.strerror}") from None
        where = str(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as problem:
        raise EstateError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise EstateError(f"{where}: the estate must be a mapping of sections")
    estate: Estate = _build(Estate, data, where)
    _check_timings(estate.timings, f"{where}: timings")
    _check_user_roles(estate, where)
    _check_host_groups(estate, where)
    _check_connectivity_groups(estate, where)
    _check_provider_ips(estate, where)
    _check_behaviours(estate, where)
    check_unmanaged(estate, where, EstateError)
    check_utilization(estate, where, EstateError)
    return dataclasses.replace(estate, timings={**DEFAULT_TIMINGS, **estate.timings})


def _check_timings(timings: dict[str, float], where: str) -> None:
    # a misspelt step would be kept silently while the real step keeps its default
    for name, seconds in timings.items():
        if name not in DEFAULT_TIMINGS:
            raise EstateError(
                f"{where}: unknown step {name!r}; steps: {', '.join(sorted(DEFAULT_TIMINGS))}"
            )
        if seconds < 0:
            raise EstateError(f"{where}.{name}: seconds cannot be negative, got {seconds!r}")


def _check_user_roles(estate: Estate, where: str) -> None:
    """Users are granted roles on estate projects by name: both must exist, or identity would
    fail at seeding with an API error instead of naming the estate entry."""
    projects = [p.name for p in estate.projects]
    for index, user in enumerate(estate.users):
        for project, roles in user.roles.items():
            place = f"{where}: users[{index}] ({user.name}): roles: {project}"
            if project not in projects:
                known = ", ".join(projects) or "none"
                raise EstateError(f"{place}: unknown project {project!r}; projects: {known}")
            for role in roles:
                if role not in ROLE_NAMES:
                    raise EstateError(
                        f"{place}: unknown role {role!r}; roles: {', '.join(ROLE_NAMES)}"
                    )


def _check_host_groups(estate: Estate, where: str) -> None:
    """Every host in at most one group, zones unique, policies known: the scheduler relies on
    each host having exactly one availability zone."""
    hosts = {h.name for h in estate.hosts}
    if placement_policy(estate.default_placement_policy) is None:
        raise EstateError(
            f"{where}: default_placement_policy: unknown policy "
            f"{estate.default_placement_policy!r}; policies: {', '.join(PLACEMENT_POLICIES)}"
        )
    owner: dict[str, str] = {}
    zones = {DEFAULT_ZONE: DEFAULT_HOST_GROUP}
    for index, group in enumerate(estate.host_groups):
        place = f"{where}: host_groups[{index}] ({group.name})"
        zone = group.availability_zone or group.name
        if group.name == DEFAULT_HOST_GROUP or zone in zones:
            taken = DEFAULT_HOST_GROUP if group.name == DEFAULT_HOST_GROUP else zones[zone]
            raise EstateError(f"{place}: name or availability zone already used by {taken!r}")
        zones[zone] = group.name
        if placement_policy(group.placement_policy) is None:
            raise EstateError(
                f"{place}: placement_policy: unknown policy {group.placement_policy!r}; "
                f"policies: {', '.join(PLACEMENT_POLICIES)}"
            )
        for host in group.hosts:
            if host not in hosts:
                raise EstateError(f"{place}: hosts: unknown host {host!r}")
            if host in owner:
                raise EstateError(
                    f"{place}: hosts: {host!r} is already in host group {owner[host]!r} "
                    "(a host belongs to one host group)"
                )
            owner[host] = group.name


def _check_connectivity_groups(estate: Estate, where: str) -> None:
    hosts = {h.name for h in estate.hosts}
    providers = {p.name for p in estate.storage_providers}
    names: set[str] = set()
    for index, group in enumerate(estate.storage_connectivity_groups):
        place = f"{where}: storage_connectivity_groups[{index}] ({group.name})"
        if group.name in names:
            raise EstateError(f"{place}: the name is used twice")
        names.add(group.name)
        for host in group.hosts:
            if host not in hosts:
                raise EstateError(f"{place}: hosts: unknown host {host!r}")
        for provider in group.storage_providers:
            if provider not in providers:
                raise EstateError(f"{place}: storage_providers: unknown provider {provider!r}")
        for kind in (*group.boot_connectivity, *group.data_connectivity):
            if kind not in CONNECTIVITY_TYPES:
                raise EstateError(
                    f"{place}: unknown connectivity {kind!r}; "
                    f"connectivity types: {', '.join(CONNECTIVITY_TYPES)}"
                )
        if not 1 <= group.vios_redundancy <= 4:
            raise EstateError(f"{place}: vios_redundancy must be 1 to 4")


def _check_provider_ips(estate: Estate, where: str) -> None:
    seen: dict[str, str] = {}
    for provider in estate.storage_providers:
        place = f"{where}: storage_providers: {provider.name}: management_ip"
        try:
            ipaddress.ip_address(provider.management_ip)
        except ValueError:
            raise EstateError(f"{place}: {provider.management_ip!r} is not an IP address") from None
        if provider.management_ip in seen:
            raise EstateError(
                f"{place}: {provider.management_ip} is {seen[provider.management_ip]}'s too"
            )
        seen[provider.management_ip] = provider.name


def _check_behaviours(estate: Estate, where: str) -> None:
    """Each rule is checked as the behaviours API checks a posted one, so a rule that would be
    refused there stops the start-up naming the entry and the field."""
    for index, body in enumerate(estate.behaviours):
        try:
            parse_behaviour(body)
        except ApiError as problem:
            raise EstateError(f"{where}: behaviours[{index}]: {problem.message}") from None


def _build(cls: type[Any], data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise EstateError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise EstateError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(fields))}"
        )
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], f"{where}: {name}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise EstateError(f"{where}: missing required key {name!r}")
    return cls(**values)


def _convert(hint: Any, value: Any, where: str) -> Any:
    """`value` checked (and where harmless, converted) against the field's type `hint`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        # the records only use `X | None`: null is allowed, anything else must be an X
        if value is None:
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner, value, where)
    if value is None:
        raise EstateError(f"{where}: a value is required, got null")
    if origin is list:
        return _convert_list(typing.get_args(hint)[0], value, where)
    if origin is dict:
        return _convert_dict(typing.get_args(hint), value, where)
    return _convert_scalar(hint, value, where)


def _convert_list(item: Any, value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise EstateError(f"{where}: expected a list, got {value!r}")
    if isinstance(item, type) and dataclasses.is_dataclass(item):
        return [_build(item, entry, f"{where}[{i}]") for i, entry in enumerate(value)]
    return [_convert(item, entry, f"{where}[{i}]") for i, entry in enumerate(value)]


def _convert_dict(args: tuple[Any, ...], value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EstateError(f"{where}: expected a mapping, got {value!r}")
    key_hint, value_hint = args
    converted: dict[str, Any] = {}
    for key, entry in value.items():
        name = _convert(key_hint, key, f"{where}: key {key!r}")
        converted[name] = _convert(value_hint, entry, f"{where}.{key}")
    return converted


def _convert_scalar(hint: Any, value: Any, where: str) -> Any:
    # bool is an int subclass, and YAML reads yes/no/true/false as booleans
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if hint is bool and not isinstance(value, bool):
        raise EstateError(f"{where}: expected true or false, got {value!r}")
    if hint is int and not (is_number and isinstance(value, int)):
        raise EstateError(f"{where}: expected a whole number, got {value!r}")
    if hint is float:
        if not (is_number and math.isfinite(value)):
            raise EstateError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if hint is str and not isinstance(value, str):
        if not is_number:  # YAML reads `7.2` as a number: keep the text the user meant
            raise EstateError(f"{where}: expected text, got {value!r} (quote it)")
        return str(value)
    return value
