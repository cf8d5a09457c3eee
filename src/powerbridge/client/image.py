"""Glance v2 on PowerVC: the images VMs deploy from (AIX, IBM i, Linux on Power)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._wire import Record, Wire
from powerbridge.client.session import Session

SERVICE = "image"

IMAGE_FIELDS = {
    "id": "id",
    "name": "name",
    "status": "status",
    "visibility": "visibility",
    "size": "size",
    "disk_format": "disk_format",
    "container_format": "container_format",
    "min_disk": "min_disk",
    "min_ram": "min_ram",
    "os_distro": "os_distro",
    "os_version": "os_version",
    "architecture": "architecture",
    "owner": "owner",
    "protected": "protected",
    "tags": "tags",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
# the keys glance defines; every other key of an image body is a custom property
STANDARD_KEYS = frozenset(IMAGE_FIELDS.values()) | {
    "checksum",
    "virtual_size",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "self",
    "file",
    "schema",
    "locations",
    "direct_url",
}


@dataclass(frozen=True)
class Image(Record):
    id: str
    name: str
    status: str
    visibility: str | None = None
    size: int | None = None  # bytes
    disk_format: str | None = None
    container_format: str | None = None
    min_disk: int = 0  # GB
    min_ram: int = 0  # MB
    os_distro: str | None = None
    os_version: str | None = None
    architecture: str | None = None
    owner: str | None = None
    protected: bool = False
    tags: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)  # PowerVC's and custom ones
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Image:
        wire = Wire(body, IMAGE_FIELDS)
        return cls(
            id=wire.text("id"),
            name=wire.text("name"),
            status=wire.text("status"),
            visibility=wire.opt_text("visibility"),
            size=wire.opt_integer("size"),
            disk_format=wire.opt_text("disk_format"),
            container_format=wire.opt_text("container_format"),
            min_disk=wire.integer("min_disk"),
            min_ram=wire.integer("min_ram"),
            os_distro=wire.opt_text("os_distro"),
            os_version=wire.opt_text("os_version"),
            architecture=wire.opt_text("architecture"),
            owner=wire.opt_text("owner"),
            protected=wire.flag("protected"),
            tags=wire.strings("tags"),
            properties={
                str(k): str(v)
                for k, v in body.items()
                if k not in STANDARD_KEYS and v is not None and not isinstance(v, dict | list)
            },
            created_at=wire.when("created_at"),
            updated_at=wire.when("updated_at"),
            raw=body,
        )


class Images:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def images(self, *, name: str | None = None, page_size: int | None = None) -> list[Image]:
        params: dict[str, Any] = {}
        if name:
            params["name"] = name
        if page_size:
            params["limit"] = page_size
        rows = await _resource.list_all(
            self.session, SERVICE, "/v2/images", "images", params=params
        )
        return [Image.from_wire(row) for row in rows]

    async def image(self, image_id: str) -> Image:
        body = await _resource.get_json(
            self.session, SERVICE, _resource.item_path("/v2/images", image_id)
        )
        return Image.from_wire(body)

    async def find_image(self, name_or_id: str) -> Image:
        async def named(name: str) -> list[Image]:
            return await self.images(name=name)

        return await _resource.find("image", name_or_id, self.image, named, everything=self.images)
