"""Cinder's side of PowerVC's onboarding (`/v3/<project>/os-hosts/<host>/onboard` and
`.../unmanage`, `{"volumes": [ids]}`): a volume on a storage provider that cinder does not
manage becomes an available volume of the caller's project; an available one leaves cinder and
stays on its provider. `<host>` is the provider, by name or by cinder's `provider@provider`
host (a `#pool` suffix accepted). A volume of an unmanaged LPAR is onboarded with its VM.
"""

from __future__ import annotations

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.onboarding import adopted_volume, resident_of
from powerbridge.emulator.backend.residents import Residents, ResidentVolume
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_records import Volume, require_volume_admin
from powerbridge.emulator.errors import conflict, not_found


class VolumeOnboarding:
    def __init__(self, ctx: BackendContext, residents: Residents, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.residents = residents
        self.volumes = volumes

    def provider(self, host_ref: str) -> str:
        name = host_ref.split("#", 1)[0].split("@", 1)[0]
        if name not in self.volumes.providers:
            known = ", ".join(sorted(self.volumes.providers))
            raise not_found(f"Storage host {host_ref} could not be found; providers: {known}.")
        return name

    def unmanaged(self, host_ref: str, caller: Caller) -> list[ResidentVolume]:
        require_volume_admin(caller, "volume_extension:volume_manage")
        return self.residents.on_provider(self.provider(host_ref))

    def onboard(self, host_ref: str, volume_ids: list[str], caller: Caller) -> list[Volume]:
        require_volume_admin(caller, "volume_extension:volume_manage")
        provider = self.provider(host_ref)
        found = [self._resident(provider, volume_id) for volume_id in volume_ids]
        adopted = []
        for resident in found:
            self.residents.take_volume(resident.id)
            volume = adopted_volume(
                self.volumes,
                resident,
                caller.project_id or "",
                caller.user_id,
                self.ctx.clock.now(),
                status="available",
            )
            self.volumes.adopt(volume)
            adopted.append(volume)
        return adopted

    def _resident(self, provider: str, volume_id: str) -> ResidentVolume:
        resident = self.residents.volumes.get(volume_id)
        if resident is None or resident.provider != provider:
            if volume_id in self.volumes.volumes:
                raise conflict(f"Volume {volume_id} is already managed.")
            raise not_found(f"No unmanaged volume {volume_id} on storage provider {provider}.")
        if resident.lpar_id is not None:
            raise conflict(
                f"Volume {volume_id} belongs to the unmanaged virtual machine {resident.lpar_id}: "
                "onboard the virtual machine (compute os-hosts/<host>/onboard) to bring it too."
            )
        return resident

    def unmanage(self, host_ref: str, volume_ids: list[str], caller: Caller) -> list[str]:
        require_volume_admin(caller, "volume_extension:volume_unmanage")
        provider = self.provider(host_ref)
        volumes = [self._releasable(provider, volume_id, caller) for volume_id in volume_ids]
        for volume in volumes:
            self.volumes.forget(volume.id)
            self.residents.put_volume(resident_of(volume, None))
        return [v.id for v in volumes]

    def _releasable(self, provider: str, volume_id: str, caller: Caller) -> Volume:
        volume = self.volumes.volume(volume_id, caller)
        if volume.provider != provider:
            raise not_found(f"Volume {volume_id} is not on storage provider {provider}.")
        if volume.status != "available" or self.volumes.attachments_of_volume(volume_id):
            raise conflict(
                f"Invalid volume: Volume {volume_id} status must be available to unmanage, "
                f"but current status is: {volume.status}."
            )
        if self.volumes.snapshots.of_volume(volume_id):
            raise conflict(f"Invalid volume: Volume {volume_id} has snapshots: delete them first.")
        return volume
