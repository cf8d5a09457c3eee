"""The `os-volume_upload_image` volume action: a volume's content becomes a Glance image."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import timestamp
from powerbridge.emulator.api.volume.schema import boolean, field_error
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.volume_records import Volume, VolumeType, invalid_input

DISK_FORMATS = ("raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop")
CONTAINER_FORMATS = ("bare", "compressed")
VISIBILITIES = ("public", "private", "community", "shared")
# glance core attributes cinder does not copy from a volume's image metadata to its upload
NOT_COPIED = {
    "image_id",
    "image_name",
    "checksum",
    "size",
    "min_disk",
    "min_ram",
    "disk_format",
    "container_format",
    "status",
    "visibility",
    "protected",
    "owner",
}
UPLOAD_KEYS = ("image_name", "force", "disk_format", "container_format", "visibility", "protected")


def _choice(args: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = args.get(key, default)
    if not isinstance(value, str) or value not in allowed:
        raise invalid_input(f"Invalid {key} '{value}': one of {', '.join(allowed)} is expected.")
    return value


def _upload_arguments(call: Call, args: Any) -> dict[str, Any]:
    if not isinstance(args, dict):
        raise field_error("os-volume_upload_image", args, f"{args!r} is not of type 'object'")
    extra = sorted(k for k in args if k not in UPLOAD_KEYS)
    if extra:
        raise field_error(
            "os-volume_upload_image", args, f"Additional properties are not allowed ({extra})"
        )
    name = args.get("image_name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise field_error("image_name", name, "a name of 1 to 255 characters is required")
    versioned = call.at_least("3.1")
    return {
        "name": name,
        "force": boolean(args.get("force", False), "force"),
        "disk_format": _choice(args, "disk_format", DISK_FORMATS, "raw"),
        "container_format": _choice(args, "container_format", CONTAINER_FORMATS, "bare"),
        "visibility": _choice(args, "visibility", VISIBILITIES, "private")
        if versioned
        else "private",
        "protected": boolean(args.get("protected", False), "protected") if versioned else False,
    }


def _type_record(call: Call, volume_type: VolumeType | None) -> dict[str, Any] | None:
    """cinder answers with the volume type's database row."""
    if volume_type is None:
        return None
    return {
        "id": volume_type.id,
        "name": volume_type.name,
        "description": volume_type.description,
        "is_public": volume_type.is_public,
        "extra_specs": dict(volume_type.extra_specs),
        "qos_specs_id": volume_type.qos_specs_id,
        "created_at": timestamp(call.emulator.clock.now()),
        "updated_at": None,
        "deleted": False,
        "deleted_at": None,
    }


def upload_image(call: Call, caller: Caller, volume_id: str, args: Any) -> Reply:
    require_writer(caller, "volume_extension:volume_actions:upload_image")
    wanted = _upload_arguments(call, args)
    volumes = call.emulator.volumes
    context = call.log_context()
    volume = volumes.begin_upload(volume_id, caller, force=wanted["force"], context=context)
    image = call.emulator.images.create_from_volume(
        caller,
        name=wanted["name"],
        volume_id=volume.id,
        size_gb=volume.size,
        disk_format=wanted["disk_format"],
        container_format=wanted["container_format"],
        visibility=wanted["visibility"],
        protected=wanted["protected"],
        properties=_copied_properties(volume),
        context=context.internal_call(),
    )
    body: dict[str, Any] = {
        "id": volume.id,
        "updated_at": timestamp(volume.updated_at),
        "status": volume.status,
        "display_description": volume.description,
        "size": volume.size,
        "volume_type": _type_record(call, volumes.types.get(volume.volume_type_id or "")),
        "image_id": image.id,
        "container_format": image.container_format,
        "disk_format": image.disk_format,
        "image_name": image.name,
    }
    if call.at_least("3.1"):
        body.update(visibility=image.visibility, protected=image.protected)
    return Reply({"os-volume_upload_image": body}, status=202)


def _copied_properties(volume: Volume) -> dict[str, str]:
    return {k: v for k, v in volume.image_metadata.items() if k not in NOT_COPIED}
