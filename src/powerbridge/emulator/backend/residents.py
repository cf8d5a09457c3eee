"""What runs on the hosts and sits on the storage providers without PowerVC managing it: the
estate's `unmanaged_lpars` and `unmanaged_volumes` at first start, and whatever an unmanage
hands back later. Onboarding takes records out of here; unmanaging puts them back.

Records are persisted (`resident_lpar`, `resident_volume`), so an unmanaged VM stays listed
on its host across restarts. Ids are stable: an LPAR's is derived from its host and name, so
`all-servers` names the same partition by the same id before and after a restart.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext

_NAMESPACE = uuid.UUID("0c7f1f64-2d55-4c1e-9b0a-5f3a1e3d7c21")
_SEEDED = "residents_seeded"


@dataclass
class ResidentVolume:
    id: str
    name: str
    provider: str
    pool: str
    size: int
    bootable: bool = False
    lpar_id: str | None = None  # the unmanaged LPAR it belongs to, if any


@dataclass
class ResidentLpar:
    id: str
    name: str  # the partition's name on the host
    host: str
    memory_mb: int
    vcpus: int
    proc_units: str
    state: str = "active"  # active | shutoff
    volumes: list[str] = field(default_factory=list)  # resident volume ids, boot first
    display_name: str = ""  # the VM name it had while managed (empty: never managed)


class Residents:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.lpars = {b["id"]: ResidentLpar(**b) for b in ctx.store.load("resident_lpar")}
        self.volumes = {b["id"]: ResidentVolume(**b) for b in ctx.store.load("resident_volume")}
        if ctx.store.get_meta(_SEEDED) is None:  # data dirs made before onboarding existed too
            self._seed()
            ctx.store.set_meta(_SEEDED, "1")

    def _seed(self) -> None:
        estate = self.ctx.estate
        pools = {p.name: (p.pools or [p.name])[0] for p in estate.storage_providers}
        by_name: dict[str, ResidentVolume] = {}
        for spec in estate.unmanaged_volumes:
            volume = ResidentVolume(
                id=str(uuid.uuid5(_NAMESPACE, f"volume/{spec.provider}/{spec.name}")),
                name=spec.name,
                provider=spec.provider,
                pool=spec.pool or pools.get(spec.provider, spec.provider),
                size=spec.size_gb,
                bootable=spec.bootable,
            )
            by_name[spec.name] = volume
        for lpar_spec in estate.unmanaged_lpars:
            lpar = ResidentLpar(
                id=str(uuid.uuid5(_NAMESPACE, f"lpar/{lpar_spec.host}/{lpar_spec.name}")),
                name=lpar_spec.name,
                host=lpar_spec.host,
                memory_mb=lpar_spec.memory_mb,
                vcpus=lpar_spec.vcpus,
                proc_units=str(lpar_spec.proc_units),
                state=lpar_spec.state,
                volumes=[by_name[name].id for name in lpar_spec.volumes],
            )
            for name in lpar_spec.volumes:
                by_name[name].lpar_id = lpar.id
            self.put_lpar(lpar)
        for volume in by_name.values():
            self.put_volume(volume)

    # -- records ---------------------------------------------------------------------------
    def on_host(self, host: str) -> list[ResidentLpar]:
        return sorted((r for r in self.lpars.values() if r.host == host), key=lambda r: r.name)

    def on_provider(self, provider: str) -> list[ResidentVolume]:
        found = (v for v in self.volumes.values() if v.provider == provider)
        return sorted(found, key=lambda v: v.name)

    def put_lpar(self, lpar: ResidentLpar) -> None:
        self.lpars[lpar.id] = lpar
        self.ctx.store.put("resident_lpar", lpar.id, asdict(lpar))

    def put_volume(self, volume: ResidentVolume) -> None:
        self.volumes[volume.id] = volume
        self.ctx.store.put("resident_volume", volume.id, asdict(volume))

    def take_lpar(self, lpar_id: str) -> ResidentLpar:
        lpar = self.lpars.pop(lpar_id)
        self.ctx.store.delete("resident_lpar", lpar_id)
        return lpar

    def take_volume(self, volume_id: str) -> ResidentVolume:
        volume = self.volumes.pop(volume_id)
        self.ctx.store.delete("resident_volume", volume_id)
        return volume
