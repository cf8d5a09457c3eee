"""The estate's LPARs and volumes that PowerVC does not manage yet: present on a host or a
storage provider, listed by `os-hosts/<host>/all-servers`, brought under management by
`os-hosts/<host>/onboard` (nova's and cinder's), and back here after an unmanage.

Kept apart from `estate.py` so the onboarding records and their checks read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LPAR_STATES = ("active", "shutoff")


@dataclass(frozen=True)
class UnmanagedLparSpec:
    """A partition running (or stopped) on a host outside PowerVC's management."""

    name: str  # the LPAR name on the host; an onboarded VM is named after it
    host: str  # MTM-SN of a managed host
    memory_mb: int = 4096
    vcpus: int = 1
    proc_units: float = 0.5
    state: str = "active"
    volumes: list[str] = field(default_factory=list)  # names of `unmanaged_volumes` entries


@dataclass(frozen=True)
class UnmanagedVolumeSpec:
    """A volume (LUN) on a storage provider that cinder does not manage yet."""

    name: str
    provider: str
    size_gb: int = 20
    pool: str = ""  # empty: the provider's first pool
    bootable: bool = False


def check_unmanaged(estate: Any, where: str, error: type[ValueError]) -> None:
    """Hosts, providers and volume names must exist; an LPAR's volume belongs to one LPAR."""
    hosts = {h.name for h in estate.hosts}
    providers = {p.name for p in estate.storage_providers}
    volumes: set[str] = set()
    for index, volume in enumerate(estate.unmanaged_volumes):
        place = f"{where}: unmanaged_volumes[{index}] ({volume.name})"
        if volume.name in volumes:
            raise error(f"{place}: the name is used twice")
        volumes.add(volume.name)
        if volume.provider not in providers:
            raise error(f"{place}: provider: unknown storage provider {volume.provider!r}")
        if volume.size_gb < 1:
            raise error(f"{place}: size_gb must be at least 1")
    owners: dict[str, str] = {}
    names: set[tuple[str, str]] = set()
    for index, lpar in enumerate(estate.unmanaged_lpars):
        place = f"{where}: unmanaged_lpars[{index}] ({lpar.name})"
        if lpar.host not in hosts:
            raise error(f"{place}: host: unknown host {lpar.host!r}")
        if (lpar.host, lpar.name) in names:
            raise error(f"{place}: the host has two LPARs of that name")
        names.add((lpar.host, lpar.name))
        if lpar.state not in LPAR_STATES:
            raise error(f"{place}: state must be one of {', '.join(LPAR_STATES)}")
        if lpar.memory_mb < 1 or lpar.vcpus < 1 or lpar.proc_units <= 0:
            raise error(f"{place}: memory_mb, vcpus and proc_units must be positive")
        for name in lpar.volumes:
            if name not in volumes:
                raise error(f"{place}: volumes: unknown unmanaged volume {name!r}")
            if name in owners:
                raise error(f"{place}: volumes: {name!r} already belongs to LPAR {owners[name]!r}")
            owners[name] = lpar.name
