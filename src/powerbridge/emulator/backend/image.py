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
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.image_data import ImageData
from powerbridge.emulator.backend.image_queries import (
    matches,
    owns,
    size_in_range,
    sorted_images,
)
from powerbridge.emulator.backend.image_records import (
    GIB,
    IMAGE_STATUSES,
    MEMBER_STATUSES,
    WRITABLE_CORE,
    Change,
    Image,
    ImageMember,
    ImagePage,
    ImageQuery,
    not_authorized,
)
from powerbridge.emulator.backend.image_schema import (
    check_core_value,
    check_property,
    check_settable,
    set_core,
)
from powerbridge.emulator.errors import bad_request, conflict, forbidden, not_found
from powerbridge.emulator.logs import LogContext
from powerbridge.powervc_roles import ADMIN_ONLY, allows

# the image service's records and rules, for its HTTP layer (they live in image_records,
# image_schema and image_queries)

LOG_PROCESS = "glance-api"
LOG_MODULE = "glance.api.v2.images"
CAPTURE_TOPIC = "image.capture"
CAPTURE_SECONDS = 5.0
ID_NAMESPACE = uuid.UUID("9a3c1a52-4f0e-4f6b-9a55-6d1f2b7a0c11")
# nova does not copy these from the base image to a snapshot
NON_INHERITABLE = (
    "cache_in_nova",
    "bittorrent",
    "img_signature_hash_method",
    "img_signature",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
)


def may_change(caller: Caller, image: Image, action: str) -> bool:
    """glance's owner rule: an admin, or a role the policy allows `action` in the owner's
    project."""
    return caller.is_admin or (allows(caller.roles, action) and owns(caller, image))


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
        self.data = ImageData(ctx.store.path)
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
                # Glance's legacy `checksum` field is an MD5 by definition (os_hash_value is
                # the secure one): it detects corruption, it is no security control
                checksum=hashlib.md5(fingerprint, usedforsecurity=False).hexdigest(),
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
    def volume_image_metadata(self, image_id: str) -> dict[str, str]:
        """What cinder copies from glance into a volume made from the image (its
        volume_glance_metadata, every value a string); an unknown image: its id alone."""
        image = self.images.get(image_id)
        if image is None:
            return {"image_id": image_id}
        if image.status != "active":  # cinder reads only an active image's data
            raise bad_request(f"Invalid input received: Image {image.id} is not active.")
        found = {
            "image_id": image.id,
            "image_name": image.name or "",
            "min_disk": str(image.min_disk),
            "min_ram": str(image.min_ram),
            "size": str(image.size or 0),
            "checksum": image.checksum or "",
            "container_format": image.container_format or "",
            "disk_format": image.disk_format or "",
        }
        return {**image.properties, **found}

    def can_see(self, image: Image, caller: Caller) -> bool:
        if caller.is_admin or image.visibility in ("public", "community"):
            return True
        if owns(caller, image):
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
        if not may_change(caller, image, action):
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
        ordered = sorted_images(chosen, query.sort)
        if marker is not None:
            ordered = ordered[ordered.index(marker) + 1 :]
        return ImagePage(ordered[: query.limit], len(ordered) > query.limit)

    def _listed(self, image: Image, caller: Caller, query: ImageQuery) -> bool:
        return (
            self._listable(image, caller, query)
            and image.os_hidden == query.os_hidden
            and all(tag in image.tags for tag in query.tags)
            and size_in_range(image, query.size_min, query.size_max)
            and all(matches(image, key, value) for key, value in query.filters.items())
        )

    def _listable(self, image: Image, caller: Caller, query: ImageQuery) -> bool:
        wanted = query.visibility
        if wanted not in (None, "all") and image.visibility != wanted:
            return False
        owned = owns(caller, image)
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
        if not allows(caller.roles, "add_image"):
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
            set_core(image, key, value)
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
        set_core(image, key, change.value)

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
        if not may_change(caller, image, "upload_image"):
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
        image.checksum = hashlib.md5(data, usedforsecurity=False).hexdigest()
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
        if not may_change(caller, image, "modify_image"):
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
        if not may_change(caller, image, "modify_image"):
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
        # glance's default: "role:admin or (role:member and project_id:%(project_id)s)"
        owners_member = "member" in caller.roles and image.owner == caller.project_id
        if not (owners_member or allows(caller.roles, action, ADMIN_ONLY)):
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
        if caller.is_admin or owns(caller, image):
            return members
        return [m for m in members if m.member_id == caller.project_id]

    def member(self, caller: Caller, image_id: str, member_id: str) -> ImageMember:
        image = self._shared(caller, image_id)
        member = self.members.get(image_id, {}).get(member_id)
        mine = caller.is_admin or owns(caller, image) or member_id == caller.project_id
        if member is None or not mine:
            raise not_found(f"{member_id} not found in the member list of the image {image_id}.")
        return member

    def add_member(self, caller: Caller, image_id: str, member_id: str) -> ImageMember:
        image = self._shared(caller, image_id)
        if not may_change(caller, image, "add_member"):
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
        if not may_change(caller, image, "delete_member"):
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
        image.checksum = hashlib.md5(fingerprint, usedforsecurity=False).hexdigest()
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
