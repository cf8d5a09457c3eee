"""Glance v2: image records, visibility and sharing, image data, and nova's snapshot images.

Records live in memory and are written through to the store; image bytes go to files under
`<data dir>/images/<id>` (or stay in memory when the emulator keeps nothing), so metadata calls
never read data. Value checks report glance's own wording: schema failures are
`Provided object does not match schema 'image': <reason>`, policy failures
`You are not authorized to complete <action> action.`.

Visibility as glance decides it: admins see every image; everyone sees `public` and
`community` images; a project sees its own images and the `shared` images it is a member of.
Listing leaves out other projects' `community` images unless asked for them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.lifecycle import Transitions
from powerbridge.emulator.logs import LogContext

LOG_PROCESS = "glance-api"
LOG_MODULE = "glance.api.v2.images"
CAPTURE_TOPIC = "image.capture"
CAPTURE_SECONDS = 5.0
GIB = 1024**3
MAX_INT = 2**31 - 1
ID_NAMESPACE = uuid.UUID("9a3c1a52-4f0e-4f6b-9a55-6d1f2b7a0c11")

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
# nova does not copy these from the base image to a snapshot
# glance's other statuses (saving, importing, killed, pending_delete) never occur here: data
# arrives in one call and a delete removes the record
IMAGE_STATUSES: Transitions[str] = Transitions(
    "image status",
    {"queued": ("active",), "active": ("deactivated",), "deactivated": ("active",)},
)
NON_INHERITABLE = (
    "cache_in_nova",
    "bittorrent",
    "img_signature_hash_method",
    "img_signature",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
)
EMPTY_MD5 = hashlib.md5(b"").hexdigest()
EMPTY_SHA512 = hashlib.sha512(b"").hexdigest()


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


class _ImageData:
    """Image bytes: a file per image under the data directory, or a dict in memory."""

    def __init__(self, store_path: str) -> None:
        self.root: Path | None = None
        if store_path != ":memory:":
            self.root = Path(store_path).parent / "images"
        self._memory: dict[str, bytes] = {}

    def write(self, image_id: str, data: bytes) -> None:
        if self.root is None:
            self._memory[image_id] = data
            return
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{image_id}.part"
        partial.write_bytes(data)
        os.replace(partial, self.root / image_id)  # a crash never leaves half an image

    def read(self, image_id: str) -> bytes | None:
        if self.root is None:
            return self._memory.get(image_id)
        try:
            return (self.root / image_id).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, image_id: str) -> None:
        if self.root is None:
            self._memory.pop(image_id, None)
            return
        (self.root / image_id).unlink(missing_ok=True)


class ImageBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.images: dict[str, Image] = {
            body["id"]: Image(**body) for body in ctx.store.load("image")
        }
        self.members: dict[str, dict[str, ImageMember]] = {}
        for body in ctx.store.load("image_member"):
            member = ImageMember(**body)
            self.members.setdefault(member.image_id, {})[member.member_id] = member
        self.data = _ImageData(ctx.store.path)
        self._capture_listeners: list[Callable[[Image], None]] = []
        self._resumed = False
        ctx.engine.on(CAPTURE_TOPIC, self._finish_capture)
        # the emulator does not call resume() for images yet: re-schedule captures here
        self.resume()

    # -- persistence and start-up --------------------------------------------------------
    def _save(self, image: Image) -> None:
        self.ctx.store.put("image", image.id, asdict(image))

    def _save_member(self, member: ImageMember) -> None:
        self.ctx.store.put("image_member", member.key, asdict(member))

    def seed(self, owner_project_id: str) -> None:
        """The estate's images: public, active PowerVC images owned by the first project."""
        now = self.ctx.clock.now()
        for index, spec in enumerate(self.ctx.estate.images):
            properties = {
                "hypervisor_type": "phyp",
                "architecture": "ppc64",
                "os_distro": spec.os_distro,
                "endianness": spec.endianness,
            }
            if spec.os_version:
                properties["os_version"] = spec.os_version
            if spec.description:
                properties["description"] = spec.description
            properties.update(spec.properties)
            fingerprint = f"powervc-image:{spec.name}".encode()
            image = Image(
                id=str(uuid.uuid5(ID_NAMESPACE, spec.name)),
                name=spec.name,
                owner=owner_project_id or None,
                status="active",
                visibility="public",
                disk_format="raw",
                container_format="bare",
                min_disk=spec.min_disk,
                size=spec.size_gb * GIB,
                virtual_size=spec.size_gb * GIB,
                checksum=hashlib.md5(fingerprint).hexdigest(),
                os_hash_algo="sha512",
                os_hash_value=hashlib.sha512(fingerprint).hexdigest(),
                properties=properties,
                # estate order is the default (newest first) listing order
                created_at=now - index,
                updated_at=now - index,
            )
            self.images[image.id] = image
            self._save(image)

    def resume(self) -> None:
        """Re-schedule snapshots still being captured (once per start)."""
        if self._resumed:
            return
        self._resumed = True
        for image in self.images.values():
            if image.status == "queued" and image.capture_due is not None:
                self.ctx.engine.schedule(image.capture_due, CAPTURE_TOPIC, image.id)

    def _log(self, message: str, context: LogContext | None, level: str = "INFO") -> None:
        self.ctx.logs.write(LOG_PROCESS, level, LOG_MODULE, message, context)

    # -- visibility ----------------------------------------------------------------------
    def can_see(self, image: Image, caller: Caller) -> bool:
        if caller.is_admin or image.visibility in ("public", "community"):
            return True
        if _owns(caller, image):
            return True
        if image.visibility == "shared" and caller.project_id:
            return caller.project_id in self.members.get(image.id, {})
        return False

    def get(self, image_id: str, caller: Caller, message: str | None = None) -> Image:
        """The image if the caller may see it; else 404 (glance's text unless `message`)."""
        image = self.images.get(image_id)
        if image is None or not self.can_see(image, caller):
            raise not_found(message or f"No image found with ID {image_id}")
        return image

    def image(self, image_id: str, caller: Caller) -> Image:
        """For nova: the image, or 404 in nova's words."""
        return self.get(image_id, caller, f"Image {image_id} could not be found.")

    def image_by_name(self, name: str, caller: Caller) -> list[Image]:
        found = [i for i in self.images.values() if i.name == name and self.can_see(i, caller)]
        return sorted(found, key=lambda i: (i.created_at, i.id), reverse=True)

    def _require_owner(self, image: Image, caller: Caller, action: str) -> None:
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise not_authorized(action)

    # -- listing -------------------------------------------------------------------------
    def list_images(self, caller: Caller, query: ImageQuery) -> ImagePage:
        marker: Image | None = None
        if query.marker is not None:
            marker = self.images.get(query.marker)
            if marker is None or not self.can_see(marker, caller):
                raise bad_request(f"No image found with ID {query.marker}")
        chosen = [i for i in self.images.values() if self._listed(i, caller, query)]
        if marker is not None and marker not in chosen:
            chosen.append(marker)  # only to find where the next page starts
        ordered = _sorted(chosen, query.sort)
        if marker is not None:
            ordered = ordered[ordered.index(marker) + 1 :]
        return ImagePage(ordered[: query.limit], len(ordered) > query.limit)

    def _listed(self, image: Image, caller: Caller, query: ImageQuery) -> bool:
        return (
            self._listable(image, caller, query)
            and image.os_hidden == query.os_hidden
            and all(tag in image.tags for tag in query.tags)
            and _size_in_range(image, query.size_min, query.size_max)
            and all(_matches(image, key, value) for key, value in query.filters.items())
        )

    def _listable(self, image: Image, caller: Caller, query: ImageQuery) -> bool:
        wanted = query.visibility
        if wanted not in (None, "all") and image.visibility != wanted:
            return False
        owned = _owns(caller, image)
        if image.visibility == "community" and wanted is None and not owned:
            return False
        if caller.is_admin or owned or image.visibility in ("public", "community"):
            return True
        if image.visibility != "shared" or not caller.project_id:
            return False
        member = self.members.get(image.id, {}).get(caller.project_id)
        return member is not None and query.member_status in ("all", member.status)

    # -- create, update, delete ----------------------------------------------------------
    def create(self, caller: Caller, body: Mapping[str, Any], context: LogContext) -> Image:
        if not caller.can_write:
            raise not_authorized("add_image")
        for key in body:
            check_settable(key, creating=True)
        core = {k: v for k, v in body.items() if k in WRITABLE_CORE or k == "id"}
        properties = {k: v for k, v in body.items() if k not in core}
        for key, value in core.items():
            check_core_value(key, value)
        for key, value in properties.items():
            check_property(key, value)
        owner = core.get("owner", caller.project_id)
        if owner != caller.project_id and not caller.is_admin:
            raise forbidden(f"You are not permitted to create images owned by '{owner}'.")
        if core.get("visibility") == "public" and not caller.is_admin:
            raise not_authorized("publicize_image")
        image_id = str(core.pop("id", None) or uuid.uuid4())
        if image_id in self.images:
            raise conflict(f"Image with identifier {image_id} already exists!")
        now = self.ctx.clock.now()
        image = Image(id=image_id, name=None, owner=owner, created_at=now, updated_at=now)
        for key, value in core.items():
            _set_core(image, key, value)
        image.properties = dict(properties)
        self.images[image.id] = image
        self._save(image)
        self._log(f"Created image {image.id} ({image.name}) visibility={image.visibility}", context)
        return image

    def update(
        self, caller: Caller, image_id: str, changes: Sequence[Change], context: LogContext
    ) -> Image:
        current = self.get(image_id, caller)
        self._require_owner(current, caller, "modify_image")
        image = copy.deepcopy(current)  # all changes or none
        for change in changes:
            check_settable(change.path, creating=False)
            self._apply(image, change, caller)
        if not changes:
            return current
        image.updated_at = self.ctx.clock.now()
        for attribute in fields(Image):  # the same object: holders of it see the change
            setattr(current, attribute.name, getattr(image, attribute.name))
        self._save(current)
        self._log(f"Updated image {image_id}: {', '.join(c.path for c in changes)}", context)
        return current

    def _apply(self, image: Image, change: Change, caller: Caller) -> None:
        key = change.path
        if change.op == "remove":
            if key in WRITABLE_CORE:
                raise forbidden(f"Property {key} may not be removed.")
            if key not in image.properties:
                raise conflict(f"Property {key} does not exist.")
            del image.properties[key]
            return
        if key not in WRITABLE_CORE:
            check_property(key, change.value)
            if change.op == "replace" and key not in image.properties:
                raise conflict(f"Property {key} does not exist.")
            image.properties[key] = change.value
            return
        check_core_value(key, change.value)
        if key == "owner" and not caller.is_admin:
            raise forbidden("Owner can't be updated by non admin.")
        if key == "visibility" and change.value == "public" and not caller.is_admin:
            raise not_authorized("publicize_image")
        if key in ("disk_format", "container_format") and image.status not in (
            "queued",
            "importing",
        ):
            raise forbidden(f"Attribute {key} can be only replaced for a queued image.")
        _set_core(image, key, change.value)

    def delete(self, caller: Caller, image_id: str, context: LogContext) -> None:
        image = self.get(image_id, caller, f"Failed to find image {image_id} to delete")
        self._require_owner(image, caller, "delete_image")
        if image.protected:
            raise forbidden(f"Image {image_id} is protected and cannot be deleted.")
        del self.images[image_id]
        self.ctx.store.delete("image", image_id)
        for member in self.members.pop(image_id, {}).values():
            self.ctx.store.delete("image_member", member.key)
        self.data.delete(image_id)
        self._log(f"Deleted image {image_id} ({image.name})", context)

    # -- data ----------------------------------------------------------------------------
    def upload(self, caller: Caller, image_id: str, data: bytes, context: LogContext) -> Image:
        image = self.get(image_id, caller)
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise forbidden(f"Not allowed to upload image data for image {image_id}")
        if image.status != "queued":
            raise conflict(f"Image status transition from {image.status} to saving is not allowed")
        missing = [k for k in ("disk_format", "container_format") if not getattr(image, k)]
        if missing:
            noun = "Property" if len(missing) == 1 else "Properties"
            raise bad_request(f"{noun} {', '.join(missing)} must be set prior to saving data.")
        self.data.write(image_id, data)
        image.size = len(data)
        image.virtual_size = len(data) if image.disk_format in ("raw", "iso") else None
        image.checksum = hashlib.md5(data).hexdigest()
        image.os_hash_algo = "sha512"
        image.os_hash_value = hashlib.sha512(data).hexdigest()
        image.status = IMAGE_STATUSES.check(image.status, "active")
        image.has_data = True
        image.updated_at = self.ctx.clock.now()
        self._save(image)
        self._log(
            f"Uploaded data of image {image_id}: {image.size} bytes, checksum {image.checksum}",
            context,
        )
        return image

    def download(self, caller: Caller, image_id: str) -> tuple[Image, bytes | None]:
        """The image and its bytes (None when it has none: glance answers 204)."""
        image = self.get(image_id, caller)
        if image.status == "deactivated" and not caller.is_admin:
            raise forbidden(
                "The requested image has been deactivated. Image data download is forbidden."
            )
        return image, self.data.read(image_id) if image.has_data else None

    # -- tags and actions ----------------------------------------------------------------
    def add_tag(self, caller: Caller, image_id: str, tag: str) -> Image:
        image = self.get(image_id, caller, f"Image {image_id} not found.")
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise forbidden(f"Not allowed to update tags for image {image_id}.")
        if len(tag) > 255:
            raise bad_request(f"Could not update image: '{tag}' is too long")
        if tag not in image.tags:
            image.tags.append(tag)
            image.updated_at = self.ctx.clock.now()
            self._save(image)
        return image

    def remove_tag(self, caller: Caller, image_id: str, tag: str) -> Image:
        image = self.get(image_id, caller, f"Image {image_id} not found.")
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise forbidden(f"Not allowed to delete tags for image {image_id}.")
        if tag not in image.tags:
            raise not_found("The resource could not be found.")
        image.tags.remove(tag)
        image.updated_at = self.ctx.clock.now()
        self._save(image)
        return image

    def deactivate(self, caller: Caller, image_id: str, context: LogContext) -> Image:
        return self._set_active(caller, image_id, False, context)

    def reactivate(self, caller: Caller, image_id: str, context: LogContext) -> Image:
        return self._set_active(caller, image_id, True, context)

    def _set_active(
        self, caller: Caller, image_id: str, active: bool, context: LogContext
    ) -> Image:
        action, source, target = (
            ("reactivate", "deactivated", "active")
            if active
            else ("deactivate", "active", "deactivated")
        )
        image = self.get(image_id, caller)
        if not caller.is_admin:
            raise not_authorized(action)
        if image.status == target:
            return image
        if image.status != source:
            raise forbidden(f"Not allowed to {action} image in status '{image.status}'")
        image.status = IMAGE_STATUSES.check(image.status, target)
        image.updated_at = self.ctx.clock.now()
        self._save(image)
        self._log(f"Image {image_id} is {target}", context)
        return image

    # -- members -------------------------------------------------------------------------
    def _shared(self, caller: Caller, image_id: str) -> Image:
        image = self.get(image_id, caller, f"Image {image_id} not found.")
        if image.visibility != "shared":
            raise forbidden(
                f"Error fetching members of image {image_id}: Only shared images have members."
            )
        return image

    def list_members(self, caller: Caller, image_id: str) -> list[ImageMember]:
        image = self._shared(caller, image_id)
        members = list(self.members.get(image_id, {}).values())
        if caller.is_admin or _owns(caller, image):
            return members
        return [m for m in members if m.member_id == caller.project_id]

    def member(self, caller: Caller, image_id: str, member_id: str) -> ImageMember:
        image = self._shared(caller, image_id)
        member = self.members.get(image_id, {}).get(member_id)
        mine = caller.is_admin or _owns(caller, image) or member_id == caller.project_id
        if member is None or not mine:
            raise not_found(f"{member_id} not found in the member list of the image {image_id}.")
        return member

    def add_member(self, caller: Caller, image_id: str, member_id: str) -> ImageMember:
        image = self._shared(caller, image_id)
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise forbidden(f"Not allowed to create members for image {image_id}.")
        if member_id in self.members.get(image_id, {}):
            raise conflict(f"Member {member_id} is duplicated for image {image_id}")
        now = self.ctx.clock.now()
        member = ImageMember(image_id, member_id, "pending", now, now)
        self.members.setdefault(image_id, {})[member_id] = member
        self._save_member(member)
        return member

    def update_member(
        self, caller: Caller, image_id: str, member_id: str, status: Any
    ) -> ImageMember:
        member = self.member(caller, image_id, member_id)
        if member_id != caller.project_id:
            raise forbidden(f"Not allowed to update members for image {image_id}.")
        if status not in MEMBER_STATUSES:
            raise bad_request(
                'Incorrect request: Status must be "pending", "accepted" or "rejected".'
            )
        member.status = str(status)
        member.updated_at = self.ctx.clock.now()
        self._save_member(member)
        return member

    def remove_member(self, caller: Caller, image_id: str, member_id: str) -> None:
        image = self._shared(caller, image_id)
        member = self.member(caller, image_id, member_id)
        if not caller.is_admin and not (caller.can_write and _owns(caller, image)):
            raise forbidden(f"Not allowed to delete members for image {image_id}.")
        del self.members[image_id][member_id]
        self.ctx.store.delete("image_member", member.key)

    # -- nova's snapshots (createImage) --------------------------------------------------
    def on_capture_done(self, listener: Callable[[Image], None]) -> None:
        """Call `listener(image)` whenever a snapshot image becomes active."""
        self._capture_listeners.append(listener)

    def create_snapshot(
        self,
        caller: Caller,
        *,
        name: str,
        server_id: str,
        base_image: Image | None,
        properties: dict[str, str],
        block_device_mapping: list[dict[str, Any]],
        context: LogContext,
    ) -> Image:
        """A private, queued image that becomes active after the `image_capture` timing."""
        inherited = dict(base_image.properties) if base_image else {}
        for key in NON_INHERITABLE:
            inherited.pop(key, None)
        inherited.update(
            {
                "image_type": "snapshot",
                "instance_uuid": server_id,
                "user_id": caller.user_id,
                "bdm_v2": "True",
                "block_device_mapping": json.dumps(block_device_mapping),
                "root_device_name": "/dev/sda",
                "image_location": "snapshot",
            }
        )
        inherited.update(properties)  # the request's metadata wins, as nova's extra properties
        now = self.ctx.clock.now()
        image = Image(
            id=str(uuid.uuid4()),
            name=name,
            owner=caller.project_id,
            visibility="private",
            disk_format="raw",
            container_format="bare",
            min_disk=base_image.min_disk if base_image else 0,
            min_ram=base_image.min_ram if base_image else 0,
            properties=inherited,
            created_at=now,
            updated_at=now,
            capture_context=asdict(context),
        )
        seconds = self.ctx.estate.timings.get("image_capture", CAPTURE_SECONDS)
        image.capture_due = self.ctx.engine.after(seconds, CAPTURE_TOPIC, image.id)
        self.images[image.id] = image
        self._save(image)
        self._log(f"Snapshot image {image.id} ({name}) of instance {server_id} queued", context)
        return image

    # -- cinder's upload-to-image -------------------------------------------------------
    def create_from_volume(
        self,
        caller: Caller,
        *,
        name: str,
        volume_id: str,
        size_gb: int,
        disk_format: str,
        container_format: str,
        visibility: str,
        protected: bool,
        properties: Mapping[str, str],
        context: LogContext,
    ) -> Image:
        """A queued image of a volume's content, active after the `image_capture` timing."""
        if visibility == "public" and not caller.is_admin:
            raise not_authorized("publicize_image")
        now = self.ctx.clock.now()
        image = Image(
            id=str(uuid.uuid4()),
            name=name,
            owner=caller.project_id,
            visibility=visibility,
            protected=protected,
            disk_format=disk_format,
            container_format=container_format,
            min_disk=size_gb,
            properties=dict(properties),
            created_at=now,
            updated_at=now,
            capture_context=asdict(context),
            capture_size=size_gb * GIB,
        )
        seconds = self.ctx.estate.timings.get("image_capture", CAPTURE_SECONDS)
        image.capture_due = self.ctx.engine.after(seconds, CAPTURE_TOPIC, image.id)
        self.images[image.id] = image
        self._save(image)
        self._log(f"Image {image.id} ({name}) queued for upload from volume {volume_id}", context)
        return image

    def _finish_capture(self, image_id: str, due: float) -> None:
        image = self.images.get(image_id)
        if image is None or image.status != "queued" or image.capture_due != due:
            return  # deleted, or an older schedule of this image
        image.status = IMAGE_STATUSES.check(image.status, "active")
        # a volume-backed server snapshot has no data (it lives in volume snapshots); a volume
        # upload has the volume's size, and a checksum of its (emulated, absent) content
        image.size = image.capture_size or 0
        image.virtual_size = image.capture_size or 0
        fingerprint = f"volume-upload:{image.id}".encode() if image.capture_size else b""
        image.checksum = hashlib.md5(fingerprint).hexdigest()
        image.os_hash_algo = "sha512"
        image.os_hash_value = hashlib.sha512(fingerprint).hexdigest()
        image.capture_due = None
        image.updated_at = self.ctx.clock.now()
        context = LogContext(**image.capture_context) if image.capture_context else None
        image.capture_context = None
        self._save(image)
        instance = image.properties.get("instance_uuid")
        if instance is None:
            self._log(f"Image {image_id} uploaded from a volume is active", context)
            return
        self._log(f"Snapshot image {image_id} of instance {instance} is active", context)
        for listener in self._capture_listeners:
            listener(image)


# -- value checks (glance's image schema) ----------------------------------------------
def check_settable(key: str, *, creating: bool) -> None:
    if key in DISALLOWED or (key in READ_ONLY and not (creating and key == "id")):
        raise forbidden(f"Attribute '{key}' is read-only.")
    if key in RESERVED or key.startswith(RESERVED_NAMESPACE):
        raise forbidden(f"Attribute '{key}' is reserved.")


def check_property(key: str, value: Any) -> None:
    """A custom property: a string named by at most 255 characters."""
    if len(key) > 255:
        raise bad_request("Custom property should not be greater than 255 characters.")
    if not isinstance(value, str):
        raise schema_error(f"{value!r} is not of type 'string'")


def check_core_value(key: str, value: Any) -> None:
    """A core attribute's value, judged as glance's schema and domain rules judge it."""
    if key in ("name", "owner"):
        _check_type(value, (str, type(None)), "'null', 'string'")
        if value is not None and len(value) > 255:
            raise schema_error(f"{value!r} is too long")
    elif key == "id":
        _check_type(value, (str,), "'string'")
        if not re.match(UUID_PATTERN, value):
            raise schema_error(f"{value!r} does not match '{UUID_PATTERN}'")
    elif key == "visibility":
        _check_enum(value, list(VISIBILITIES))
    elif key in ("protected", "os_hidden"):
        _check_type(value, (bool,), "'boolean'")
    elif key in ("min_ram", "min_disk"):
        _check_count(key, value)
    elif key == "disk_format":
        _check_enum(value, [None, *DISK_FORMATS])
    elif key == "container_format":
        _check_enum(value, [None, *CONTAINER_FORMATS])
    elif key == "tags":
        _check_type(value, (list,), "'array'")
        for tag in value:
            _check_type(tag, (str,), "'string'")
            if len(tag) > 255:
                raise schema_error(f"{tag!r} is too long")


def _check_type(value: Any, types: tuple[type, ...], names: str) -> None:
    # bool is an int in Python but never a JSON integer or string
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise schema_error(f"{value!r} is not of type {names}")


def _check_enum(value: Any, allowed: list[str | None]) -> None:
    if value not in allowed or isinstance(value, bool):
        raise schema_error(f"{value!r} is not one of {allowed!r}")


def _check_count(key: str, value: Any) -> None:
    _check_type(value, (int,), "'integer'")
    if value < 0:
        raise bad_request(
            f"Invalid value '{value}' for parameter '{key}': Cannot be a negative value."
        )
    if value > MAX_INT:
        raise bad_request(f"'{key}' value out of range, must not exceed {MAX_INT}.")


def _set_core(image: Image, key: str, value: Any) -> None:
    if key == "tags":
        image.tags = list(dict.fromkeys(value))
    else:
        setattr(image, key, value)


# -- listing helpers -------------------------------------------------------------------
def _owns(caller: Caller, image: Image) -> bool:
    return caller.project_id is not None and image.owner == caller.project_id


def _size_in_range(image: Image, low: int | None, high: int | None) -> bool:
    if low is None and high is None:
        return True
    if image.size is None:
        return False
    return (low is None or image.size >= low) and (high is None or image.size <= high)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches(image: Image, key: str, expression: str) -> bool:
    if key in TIME_FILTERS:
        return _time_matches(float(getattr(image, key)), key, expression)
    core = key in FILTERABLE_CORE
    actual = _as_text(getattr(image, key)) if core else image.properties.get(key)
    if key in IN_FILTERS and expression.startswith("in:"):
        return actual in [part.strip() for part in expression[3:].split(",")]
    return actual == expression


_TIME_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


def parse_time_filter(key: str, expression: str) -> tuple[str, float]:
    """`gte:2026-11-23T19:14:05Z` -> ("gte", seconds); a bare time means `eq`."""
    operator, threshold = "eq", expression
    if _parse_iso(expression) is None and ":" in expression:
        operator, _, threshold = expression.partition(":")
    if operator not in _TIME_OPERATORS:
        raise bad_request("Unable to filter using the specified operator.")
    when = _parse_iso(threshold)
    if when is None:
        raise bad_request(f"Invalid value '{threshold}' for parameter '{key}': Invalid time.")
    return operator, when


def _time_matches(actual: float, key: str, expression: str) -> bool:
    operator, threshold = parse_time_filter(key, expression)
    # glance compares whole seconds, as it stores them
    return _TIME_OPERATORS[operator](float(int(actual)), threshold)


def _parse_iso(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _sort_value(image: Image, key: str) -> tuple[int, Any]:
    value = getattr(image, key)
    return (0, 0) if value is None else (1, value)  # NULL first when ascending, as SQL does


def _sorted(images: Iterable[Image], sort: Sequence[tuple[str, str]]) -> list[Image]:
    keys = list(sort) or [("created_at", "desc")]
    directions = {direction for _, direction in keys}
    # glance breaks ties in the one direction asked for, else descending
    last_direction = directions.pop() if len(directions) == 1 else "desc"
    for tiebreak in ("created_at", "id"):
        if tiebreak not in [key for key, _ in keys]:
            keys.append((tiebreak, last_direction))
    ordered = list(images)
    for key, direction in reversed(keys):  # stable sorts, least significant key first
        ordered.sort(key=lambda image: _sort_value(image, key), reverse=direction == "desc")
    return ordered
