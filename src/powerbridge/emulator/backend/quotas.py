"""Nova's quota sets: defaults, per-project and per-user limits (-1 is unlimited).

The defaults are PowerVC's generous ones (the limits document says the same). A project's
limits override the defaults, and a user's limits within a project override the project's.
Usage is counted by whoever asks (the compute API knows the servers and key pairs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.errors import bad_request

UNLIMITED = -1
MAX_LIMIT = 0x7FFFFFFF
DEFAULTS: dict[str, int] = {
    "instances": 1000,
    "cores": 4000,
    "ram": 16 * 1024 * 1024,
    "metadata_items": 128,
    "key_pairs": 100,
    "server_groups": 100,
    "server_group_members": 100,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
    # nova-network era quotas, shown before microversion 2.36
    "floating_ips": 10,
    "fixed_ips": UNLIMITED,
    "security_groups": 10,
    "security_group_rules": 20,
}
NETWORK_QUOTAS = ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")
CLASS_KEY = "class:default"  # the `default` quota class's record among the overrides
FILE_QUOTAS = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


@dataclass
class QuotaOverride:
    id: str  # "<project_id>" or "<project_id>/<user_id>"
    project_id: str
    user_id: str | None
    limits: dict[str, int] = field(default_factory=dict)


def _key(project_id: str, user_id: str | None) -> str:
    return f"{project_id}/{user_id}" if user_id else project_id


class QuotaBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.overrides: dict[str, QuotaOverride] = {}
        for body in ctx.store.load("quota"):
            self.overrides[body["id"]] = QuotaOverride(**body)

    def defaults(self) -> dict[str, int]:
        """PowerVC's defaults with the `default` quota class's changes (os-quota-class-sets)."""
        merged = dict(DEFAULTS)
        quota_class = self.overrides.get(CLASS_KEY)
        if quota_class is not None:
            merged.update(quota_class.limits)
        return merged

    def update_class(self, changes: Mapping[str, int]) -> dict[str, int]:
        """nova's `default` quota class: the defaults every project starts from."""
        for name, value in changes.items():
            if name not in DEFAULTS:
                raise bad_request(f"Bad key(s) {name} in quota_class_set")
            if not UNLIMITED <= value <= MAX_LIMIT:
                raise bad_request(
                    f"Quota limit {value} for {name} must be in the range of -1 and {MAX_LIMIT}."
                )
        record = self.overrides.get(CLASS_KEY) or QuotaOverride(CLASS_KEY, CLASS_KEY, None)
        record.limits.update(changes)
        self.overrides[CLASS_KEY] = record
        self.ctx.store.put("quota", CLASS_KEY, asdict(record))
        return self.defaults()

    def limits(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        merged = self.defaults()
        project = self.overrides.get(_key(project_id, None))
        if project is not None:
            merged.update(project.limits)
        user = self.overrides.get(_key(project_id, user_id)) if user_id else None
        if user is not None:
            merged.update(user.limits)
        return merged

    def update(
        self,
        project_id: str,
        user_id: str | None,
        changes: Mapping[str, int],
        usage: Mapping[str, int],
        *,
        force: bool = False,
    ) -> dict[str, int]:
        """Set limits (each checked against usage unless `force`); return the new limits."""
        project_limits = self.limits(project_id)
        for name, value in changes.items():
            if name not in DEFAULTS:
                raise bad_request(f"Bad key(s) {name} in quota_set")
            if not UNLIMITED <= value <= MAX_LIMIT:
                raise bad_request(
                    f"Quota limit {value} for {name} must be in the range of -1 and {MAX_LIMIT}."
                )
            used = usage.get(name, 0)
            if not force and value != UNLIMITED and value < used:
                raise bad_request(
                    f"Quota limit {value} for {name} must be greater than or equal to already "
                    f"used and reserved {used}."
                )
            ceiling = project_limits[name]
            if user_id and ceiling != UNLIMITED and (value == UNLIMITED or value > ceiling):
                raise bad_request(
                    f"Quota limit {value} for {name} must be less than or equal to {ceiling}."
                )
        key = _key(project_id, user_id)
        record = self.overrides.get(key) or QuotaOverride(key, project_id, user_id)
        record.limits.update(changes)
        self.overrides[key] = record
        self.ctx.store.put("quota", key, asdict(record))
        return self.limits(project_id, user_id)

    def reset(self, project_id: str, user_id: str | None = None) -> None:
        """Back to the defaults: a project's own limits and its users', or one user's."""
        doomed = [
            record
            for record in self.overrides.values()
            if record.project_id == project_id and (user_id is None or record.user_id == user_id)
        ]
        for record in doomed:
            del self.overrides[record.id]
            self.ctx.store.delete("quota", record.id)
