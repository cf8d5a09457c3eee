"""Cinder's records (volume types, volumes, attachments), statuses and error wordings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.emulator.lifecycle import Transitions
from powerbridge.emulator.logs import LogContext
from powerbridge.powervc_roles import ADMIN_ONLY, allows

VOLUME_MODULE = "cinder.volume.manager"
SCHEDULER_MODULE = "cinder.scheduler.flows.create_volume"
AVAILABILITY_ZONE = "nova"

DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
READY = ("available", "reserved", "attaching", "in-use")
ATTACH_FAMILY = ("available", "reserved", "attaching", "in-use", "detaching")
VALID_STATUSES = (
    "creating",
    "available",
    "deleting",
    "error",
    "error_deleting",
    "error_managing",
    "managing",
    "attaching",
    "in-use",
    "detaching",
    "maintenance",
    "restoring-backup",
    "error_restoring",
    "reserved",
    "awaiting-transfer",
    "backing-up",
    "error_backing-up",
    "error_extending",
    "downloading",
    "uploading",
    "retyping",
    "extending",
)
# the attach family's status is derived from the attachments and reservations (`_settle`), so
# any of them may follow any other
_ATTACH_STEPS = dict.fromkeys(ATTACH_FAMILY, ATTACH_FAMILY)
VOLUME_STATUSES: Transitions[str] = Transitions(
    "volume status",
    {
        **_ATTACH_STEPS,
        "creating": ("available", "error"),
        "available": (*ATTACH_FAMILY, "extending", "uploading", "deleting", "awaiting-transfer"),
        "awaiting-transfer": ("available",),
        "in-use": (*ATTACH_FAMILY, "extending", "uploading"),
        "extending": ("available", "in-use"),
        "uploading": ("available", "in-use"),
        "downloading": ("reserved",),
        **{status: ("deleting",) for status in DELETABLE if status != "available"},
        "deleting": (),
    },
)
DELETE_REFUSED = (
    "Invalid volume: Volume status must be available or error or error_restoring or "
    "error_extending or error_managing and must not be migrating, attached, belong to a "
    "group, have snapshots or be disassociated from snapshots after volume transfer."
)
MULTIATTACH_TRUE = "<is> True"
BACKEND_NAME_SPEC = "capabilities:volume_backend_name"
POOL_SPEC = "drivers:storage_pool"

ImageMetadataSource = Callable[[str], dict[str, str]]


@dataclass
class VolumeType:
    """A volume type; in PowerVC terms a storage template on one provider and pool."""

    id: str
    name: str
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)
    is_public: bool = True
    provider: str = ""
    pool: str = ""
    qos_specs_id: str | None = None
    projects: list[str] = field(default_factory=list)  # a private type's type access

    def usable_by(self, project_id: str | None, is_admin: bool) -> bool:
        return self.is_public or is_admin or project_id in self.projects

    @property
    def multiattach(self) -> bool:
        return self.extra_specs.get("multiattach", "").strip().lower() == "<is> true"


@dataclass
class Volume:
    id: str
    project_id: str
    user_id: str
    size: int
    status: str
    volume_type_id: str | None
    provider: str
    pool: str
    created_at: float
    name: str | None = None
    description: str | None = None
    availability_zone: str = AVAILABILITY_ZONE
    host: str | None = None  # "<provider>@<provider>#<pool>", None when scheduling failed
    bootable: bool = False
    multiattach: bool = False
    readonly: bool | None = None  # None: never set (cinder then shows no admin metadata)
    metadata: dict[str, str] = field(default_factory=dict)
    image_id: str | None = None
    image_metadata: dict[str, str] = field(default_factory=dict)
    source_volid: str | None = None
    snapshot_id: str | None = None
    updated_at: float | None = None
    allocated_gb: int = 0  # capacity held on the provider
    reservations: list[str] = field(default_factory=list)  # servers that reserved it
    delete_on_detach: bool = False
    previous_status: str | None = None
    # the pending lifecycle step: create | extend | delete | upload
    step: str | None = None
    due: float | None = None
    step_ok: bool = True  # planned outcome (False: capacity was short when it started)
    target_size: int | None = None
    step_context: dict[str, Any] | None = None


@dataclass
class Attachment:
    """One server's attachment of a volume (cinder's volume_attachment row)."""

    attachment_id: str
    volume_id: str
    server_id: str
    host_name: str | None
    device: str | None
    attach_status: str  # attaching | attached | detaching
    attached_at: float | None = None
    step: str | None = None  # attach | detach
    due: float | None = None
    step_context: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        # cinder (and nova) name an attachment in a volume's view by the volume id
        return self.volume_id

    @property
    def visible(self) -> bool:
        """Shown in the volume's `attachments` (cinder lists attached rows only)."""
        return self.attach_status in ("attached", "detaching")


@dataclass(frozen=True)
class PoolUsage:
    provider: str
    provider_type: str
    pool: str
    capacity_gb: int
    used_gb: int

    @property
    def name(self) -> str:
        return f"{self.provider}@{self.provider}#{self.pool}"

    @property
    def free_gb(self) -> int:
        return max(0, self.capacity_gb - self.used_gb)


def volume_not_found(volume_id: str) -> ApiError:
    return not_found(f"Volume {volume_id} could not be found.")


def invalid_volume(reason: str) -> ApiError:
    return bad_request(f"Invalid volume: {reason}")


def invalid_input(reason: str) -> ApiError:
    return bad_request(f"Invalid input received: {reason}")


def is_uuid_like(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def template_specs(provider: str, pool: str, declared: Mapping[str, str]) -> dict[str, str]:
    """A storage template's extra specs as PowerVC shows them: the provider it allocates on
    (`capabilities:volume_backend_name`) and the pool (`drivers:storage_pool`), so a client
    can tell which provider a template uses; specs the estate declares win."""
    specs = {BACKEND_NAME_SPEC: provider}
    if pool:
        specs[POOL_SPEC] = pool
    return {**specs, **declared}


def context_dict(context: LogContext | None) -> dict[str, Any] | None:
    return asdict(context) if context is not None else None


def context_of(stored: dict[str, Any] | None) -> LogContext | None:
    return LogContext(**stored) if stored else None


def require_volume_admin(caller: Caller, action: str, rule: str | None = None) -> None:
    """cinder's policy refusal wording; `rule`: the policy table's name for it when cinder's
    one name covers an edit and a removal (a storage template's update and delete)."""
    if not allows(caller.roles, rule or action, ADMIN_ONLY):
        raise forbidden(f"Policy doesn't allow {action} to be performed.")


# what every PowerVC storage provider reports to cinder's scheduler (see scheduler-stats)
PROVIDER_CAPABILITIES = {"storage_protocol": "FC", "vendor_name": "IBM"}


def unmet_capabilities(extra_specs: dict[str, str]) -> list[str]:
    """The type's capability specs no provider satisfies (cinder's CapabilitiesFilter):
    `storage_protocol` and `vendor_name`, bare or `capabilities:`-prefixed, equal or `<in>`."""
    unmet = []
    for key, wanted in extra_specs.items():
        name = key.removeprefix("capabilities:")
        offered = PROVIDER_CAPABILITIES.get(name)
        if offered is None:
            continue
        text = str(wanted).strip()
        if text.startswith("<in>"):
            ok = text.removeprefix("<in>").strip() in offered
        else:
            ok = text.removeprefix("<is>").strip().lower() == offered.lower()
        if not ok:
            unmet.append(f"{name}={text}")
    return unmet
