"""Shared pieces of the image API: the service, its backend, and glance's wire shapes.

Payloads follow glance exactly: images are flat objects (custom properties at the top level,
unset core attributes as `null`), `self`/`file`/`schema` and the list's `first`/`next` are
paths relative to the service root, timestamps are `2026-11-23T19:14:05Z`. Glance has no
microversions. Errors use glance's webob JSON body (see `envelopes.py`).
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, ServiceInfo
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_records import Image, ImageMember, isotime

SERVICE = ServiceInfo("image", "glance-api", "glance.api.v2.images")


def backend(call: Call) -> ImageBackend:
    return call.emulator.images


def image_body(image: Image) -> dict[str, Any]:
    body: dict[str, Any] = dict(image.properties)
    href = f"/v2/images/{image.id}"
    body.update(
        {
            "name": image.name,
            "disk_format": image.disk_format,
            "container_format": image.container_format,
            "visibility": image.visibility,
            "size": image.size,
            "virtual_size": image.virtual_size,
            "status": image.status,
            "checksum": image.checksum,
            "protected": image.protected,
            "min_ram": image.min_ram,
            "min_disk": image.min_disk,
            "owner": image.owner,
            "os_hidden": image.os_hidden,
            "os_hash_algo": image.os_hash_algo,
            "os_hash_value": image.os_hash_value,
            "id": image.id,
            "created_at": isotime(image.created_at),
            "updated_at": isotime(image.updated_at),
            "tags": list(image.tags),
            "self": href,
            "file": f"{href}/file",
            "schema": "/v2/schemas/image",
        }
    )
    return body


def member_body(member: ImageMember) -> dict[str, Any]:
    return {
        "member_id": member.member_id,
        "image_id": member.image_id,
        "status": member.status,
        "created_at": isotime(member.created_at),
        "updated_at": isotime(member.updated_at),
        "schema": "/v2/schemas/member",
    }
