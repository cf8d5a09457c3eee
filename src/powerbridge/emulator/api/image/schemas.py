"""`/v2/schemas/{image,images,member,members}`: glance's JSON schemas, as it serves them."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.image_records import (
    CONTAINER_FORMATS,
    DISK_FORMATS,
    MEMBER_STATUSES,
    UUID_PATTERN,
    VISIBILITIES,
)


def _nullable_string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": ["null", "string"], "description": description, **extra}


def _read_only(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description, **extra}


def _base_properties() -> dict[str, Any]:
    """Glance's `get_base_properties()`, in its order."""
    return {**_access_properties(), **_content_properties(), **_record_properties()}


def _access_properties() -> dict[str, Any]:
    return {
        "id": {
            "type": "string",
            "description": "An identifier for the image",
            "pattern": UUID_PATTERN,
        },
        "name": _nullable_string("Descriptive name for the image", maxLength=255),
        "status": _read_only(
            "string",
            "Status of the image",
            enum=[
                "queued",
                "saving",
                "active",
                "killed",
                "deleted",
                "uploading",
                "importing",
                "pending_delete",
                "deactivated",
            ],
        ),
        "visibility": {
            "type": "string",
            "description": "Scope of image accessibility",
            "enum": list(VISIBILITIES),
        },
        "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
        "os_hidden": {
            "type": "boolean",
            "description": "If true, image will not appear in default image list response.",
        },
    }


def _content_properties() -> dict[str, Any]:
    return {
        "checksum": _read_only(["null", "string"], "md5 hash of image contents.", maxLength=32),
        "os_hash_algo": _read_only(
            ["null", "string"], "Algorithm to calculate the os_hash_value", maxLength=64
        ),
        "os_hash_value": _read_only(
            ["null", "string"],
            "Hexdigest of the image contents using the algorithm specified by the os_hash_algo",
            maxLength=128,
        ),
        "owner": _nullable_string("Owner of the image", maxLength=255),
        "size": _read_only(["null", "integer"], "Size of image file in bytes"),
        "virtual_size": _read_only(["null", "integer"], "Virtual size of image in bytes"),
        "container_format": _nullable_string(
            "Format of the container", enum=[None, *CONTAINER_FORMATS]
        ),
        "disk_format": _nullable_string("Format of the disk", enum=[None, *DISK_FORMATS]),
    }


def _record_properties() -> dict[str, Any]:
    return {
        "created_at": _read_only("string", "Date and time of image registration"),
        "updated_at": _read_only("string", "Date and time of the last image modification"),
        "tags": {
            "type": "array",
            "description": "List of strings related to the image",
            "items": {"type": "string", "maxLength": 255},
        },
        "direct_url": _read_only("string", "URL to access the image file kept in external store"),
        "min_ram": {
            "type": "integer",
            "description": "Amount of ram (in MB) required to boot image.",
        },
        "min_disk": {
            "type": "integer",
            "description": "Amount of disk space (in GB) required to boot image.",
        },
        "self": _read_only("string", "An image self url"),
        "file": _read_only("string", "An image file url"),
        "stores": _read_only(
            "string",
            "Store in which image data resides.  Only present when the operator has enabled "
            "multiple stores.  May be a comma-separated list of store identifiers.",
        ),
        "schema": _read_only("string", "An image schema url"),
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "maxLength": 255},
                    "metadata": {"type": "object"},
                },
                "required": ["url", "metadata"],
            },
            "description": "A set of URLs to access the image file kept in external store",
        },
    }


def _custom_properties() -> dict[str, Any]:
    """Glance's shipped `schema-image.json`, merged with `is_base: false`."""
    distro_doc = "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html"
    kernel = "ID of image stored in Glance that should be used as the {} when booting an "
    return {
        "kernel_id": _nullable_string(
            kernel.format("kernel") + "AMI-style image.", pattern=UUID_PATTERN, is_base=False
        ),
        "ramdisk_id": _nullable_string(
            kernel.format("ramdisk") + "AMI-style image.", pattern=UUID_PATTERN, is_base=False
        ),
        "instance_uuid": {
            "type": "string",
            "description": "Metadata which can be used to record which instance this image is "
            "associated with. (Informational only, does not create an instance snapshot.)",
            "is_base": False,
        },
        "architecture": {
            "description": f"Operating system architecture as specified in {distro_doc}",
            "type": "string",
            "is_base": False,
        },
        "os_distro": {
            "description": "Common name of operating system distribution as specified in "
            + distro_doc,
            "type": "string",
            "is_base": False,
        },
        "os_version": {
            "description": "Operating system version as specified by the distributor.",
            "type": "string",
            "is_base": False,
        },
        "description": {
            "description": "A human-readable string describing this image.",
            "type": "string",
            "is_base": False,
        },
    }


def image_schema() -> dict[str, Any]:
    return {
        "name": "image",
        "properties": {**_base_properties(), **_custom_properties()},
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def member_schema() -> dict[str, Any]:
    return {
        "name": "member",
        "properties": {
            "member_id": {
                "type": "string",
                "description": "An identifier for the image member (tenantId)",
            },
            "image_id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": UUID_PATTERN,
            },
            "created_at": {
                "type": "string",
                "description": "Date and time of image member creation",
            },
            "updated_at": {
                "type": "string",
                "description": "Date and time of last modification of image member",
            },
            "status": {
                "type": "string",
                "description": "The status of this image member",
                "enum": list(MEMBER_STATUSES),
            },
            "schema": {"readOnly": True, "type": "string"},
        },
        "additionalProperties": False,
    }


def collection_schema(name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def show_image_schema(call: Call) -> Reply:
    return Reply(image_schema())


def show_images_schema(call: Call) -> Reply:
    return Reply(collection_schema("images", image_schema()))


def show_member_schema(call: Call) -> Reply:
    return Reply(member_schema())


def show_members_schema(call: Call) -> Reply:
    return Reply(collection_schema("members", member_schema()))
