"""Glance v2 on PowerVC: the images VMs deploy from (AIX, IBM i, Linux on Power)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._records import WireRecord, computed, raw_payload, wire_keys
from powerbridge.client.session import Session

SERVICE = "image"


def _custom_properties(body: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k): str(v)
        for k, v in body.items()
        if k not in STANDARD_KEYS and v is not None and not isinstance(v, dict | list)
    }


@dataclass(frozen=True)
class Image(WireRecord):
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
    properties: Mapping[str, str] = field(  # PowerVC's and custom ones
        default_factory=dict, metadata=computed(_custom_properties)
    )
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = raw_payload()


# the keys glance defines; every other key of an image body is a custom property
STANDARD_KEYS = wire_keys(Image) | {
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
