"""cinder's quotas: per-project limits over the `default` quota class, the usage they are
checked against, and cinder's 413s when a create, extend or snapshot would pass them.

PowerVC leaves cinder's quotas unlimited (-1) unless an administrator sets them; the volume
service calls `check` before it accepts a volume, an extend or a snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError, bad_request

UNLIMITED = -1
RESOURCES = (
    "volumes",
    "snapshots",
    "gigabytes",
    "backups",
    "backup_gigabytes",
    "groups",
    "per_volume_gigabytes",
)
DEFAULT_CLASS = "default"


def over_limit(message: str) -> ApiError:
    return ApiError("overLimit", message)


class VolumeQuotas:
    def __init__(self, ctx: BackendContext, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.volumes = volumes
        self.overrides: dict[str, dict[str, int]] = {
            body["id"]: body["limits"] for body in ctx.store.load("volume_quota")
        }
        volumes.quota_check = self.check

    def _names(self) -> list[str]:
        names = list(RESOURCES)
        for volume_type in self.volumes.types.values():
            names += [
                f"{kind}_{volume_type.name}" for kind in ("volumes", "gigabytes", "snapshots")
            ]
        return names

    def class_limits(self) -> dict[str, int]:
        stored = self.overrides.get(f"class:{DEFAULT_CLASS}", {})
        return {name: stored.get(name, UNLIMITED) for name in self._names()}

    def limits(self, project_id: str) -> dict[str, int]:
        return {**self.class_limits(), **self.overrides.get(project_id, {})}

    def usage(self, project_id: str) -> dict[str, int]:
        owned = [v for v in self.volumes.volumes.values() if v.project_id == project_id]
        count, snapshot_gb = self.volumes.snapshots.project_usage(project_id)
        usage = dict.fromkeys(self._names(), 0)
        usage.update(
            volumes=len(owned), gigabytes=sum(v.size for v in owned) + snapshot_gb, snapshots=count
        )
        for volume_type in self.volumes.types.values():
            typed = [v for v in owned if v.volume_type_id == volume_type.id]
            usage[f"volumes_{volume_type.name}"] = len(typed)
            usage[f"gigabytes_{volume_type.name}"] = sum(v.size for v in typed)
        return usage

    def _store(self, key: str, changes: Mapping[str, object]) -> None:
        known = set(self._names())
        stored = dict(self.overrides.get(key, {}))
        for name, value in changes.items():
            if name not in known:
                raise bad_request(f"Bad key(s) in quota set: {name}")
            try:
                amount = int(str(value))
            except ValueError:
                raise bad_request(f"Quota limit {value} for {name} must be an integer.") from None
            if amount < UNLIMITED:
                raise bad_request(f"Quota limit {amount} for {name} must be -1 or greater.")
            stored[name] = amount
        self.overrides[key] = stored
        self.ctx.store.put("volume_quota", key, {"id": key, "limits": stored})

    def update(self, project_id: str, changes: Mapping[str, object]) -> None:
        self._store(project_id, changes)

    def update_class(self, changes: Mapping[str, object]) -> None:
        self._store(f"class:{DEFAULT_CLASS}", changes)

    def reset(self, project_id: str) -> None:
        self.overrides.pop(project_id, None)
        self.ctx.store.delete("volume_quota", project_id)

    def check(self, project_id: str, wanted: Mapping[str, int]) -> None:
        """Refuse (413) when `wanted` more of a resource would pass the project's limit."""
        limits, usage = self.limits(project_id), self.usage(project_id)
        for name, amount in wanted.items():
            limit = limits.get(name, UNLIMITED)
            if amount <= 0 or limit == UNLIMITED or usage.get(name, 0) + amount <= limit:
                continue
            if name.startswith("gigabytes"):
                raise over_limit(
                    "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds "
                    f"allowed {name} quota. Requested {amount}G, quota is {limit}G and "
                    f"{usage.get(name, 0)}G has been consumed."
                )
            kind = "snapshots" if name.startswith("snapshots") else "volumes"
            raise over_limit(
                f"Maximum number of {kind} allowed ({limit}) exceeded for quota '{name}'."
            )
