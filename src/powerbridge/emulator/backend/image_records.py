"""Glance's image records, the values its schema allows, and its error wordings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.errors import ApiError, bad_request, forbidden
from powerbridge.emulator.lifecycle import Transitions

GIB = 1024**3
MAX_INT = 2**31 - 1

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("community", "public", "private", "shared")
MEMBER_STATUSES = ("pending", "accepted", "rejected")
UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)
# the request refuses these outright (they describe the resource, never the image)
DISALLOWED = ("direct_url", "self", "file", "schema", "stores")
# core attributes only glance sets
READ_ONLY = (
    "created_at",
    "updated_at",
    "status",
    "checksum",
    "size",
    "virtual_size",
    "os_hash_algo",
    "os_hash_value",
    "id",
    *DISALLOWED,
)
RESERVED = ("location", "locations", "deleted", "deleted_at")
RESERVED_NAMESPACE = "os_glance"
WRITABLE_CORE = (
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "min_ram",
    "min_disk",
    "disk_format",
    "container_format",
    "tags",
)
SORT_KEYS = (
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
)
# attributes a list filter compares against the record rather than a custom property
FILTERABLE_CORE = (
    "name",
    "id",
    "status",
    "visibility",
    "owner",
    "disk_format",
    "container_format",
    "checksum",
    "min_ram",
    "min_disk",
    "protected",
    "size",
    "virtual_size",
    "os_hash_algo",
    "os_hash_value",
)
IN_FILTERS = ("name", "id", "status", "container_format", "disk_format")
TIME_FILTERS = ("created_at", "updated_at")
# glance's other statuses (saving, importing, killed, pending_delete) never occur here: data
# arrives in one call and a delete removes the record
IMAGE_STATUSES: Transitions[str] = Transitions(
    "image status",
    {"queued": ("active",), "active": ("deactivated",), "deactivated": ("active",)},
)


def not_authorized(action: str) -> ApiError:
    return forbidden(f"You are not authorized to complete {action} action.")


def schema_error(reason: str) -> ApiError:
    return bad_request(f"Provided object does not match schema 'image': {reason}")


def isotime(ts: float) -> str:
    """Glance's timestamp form: `2026-11-23T19:14:05Z`."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Image:
    id: str
    name: str | None
    owner: str | None
    status: str = "queued"
    visibility: str = "shared"
    protected: bool = False
    os_hidden: bool = False
    disk_format: str | None = None
    container_format: str | None = None
    min_ram: int = 0
    min_disk: int = 0
    size: int | None = None
    virtual_size: int | None = None
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    tags: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # glance's extra properties
    created_at: float = 0.0
    updated_at: float = 0.0
    has_data: bool = False  # bytes were uploaded (seeded and snapshot images have none)
    capture_due: float | None = None  # a snapshot waiting to become active
    capture_context: dict[str, Any] | None = None  # the createImage request, for its logs
    capture_size: int | None = None  # bytes once captured (a volume upload); None: 0


@dataclass
class ImageMember:
    image_id: str
    member_id: str
    status: str = "pending"
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.image_id}:{self.member_id}"


@dataclass(frozen=True)
class Change:
    """One JSON-patch operation on a top-level image attribute."""

    op: str  # add, replace, remove
    path: str
    value: Any = None


@dataclass(frozen=True)
class ImageQuery:
    """A parsed `GET /v2/images`: filters are `key -> expression` (`in:a,b`, `gt:<time>`)."""

    filters: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    visibility: str | None = None  # community, public, private, shared, all
    member_status: str = "accepted"  # pending, accepted, rejected, all
    os_hidden: bool = False
    size_min: int | None = None
    size_max: int | None = None
    sort: tuple[tuple[str, str], ...] = ()  # (key, asc|desc); created_at, id break ties
    limit: int = 25
    marker: str | None = None


@dataclass(frozen=True)
class ImagePage:
    images: list[Image]
    has_more: bool
