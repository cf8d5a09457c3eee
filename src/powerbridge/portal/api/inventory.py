"""`/api/v1/inventory/...`: what the user's project sees of PowerVC, read-only."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder

from powerbridge.client import Cloud
from powerbridge.portal.auth import Principal, Viewer
from powerbridge.portal.clouds import user_cloud
from powerbridge.portal.state import PortalState, portal_state

__all__ = ["read_inventory", "router"]

router = APIRouter(prefix="/inventory", tags=["inventory"])
State = Annotated[PortalState, Depends(portal_state)]

Reader = Callable[[Cloud], Awaitable[Sequence[Any]]]


async def _images(cloud: Cloud) -> Sequence[Any]:
    return await cloud.image.images()


async def _templates(cloud: Cloud) -> Sequence[Any]:
    return await cloud.compute.templates()


async def _networks(cloud: Cloud) -> Sequence[Any]:
    return await cloud.network.networks()


async def _hosts(cloud: Cloud) -> Sequence[Any]:
    return await cloud.powervc.hosts()


async def _storage_templates(cloud: Cloud) -> Sequence[Any]:
    return await cloud.volume.storage_templates()


READERS: dict[str, Reader] = {
    "images": _images,
    "templates": _templates,
    "networks": _networks,
    "hosts": _hosts,
    "storage-templates": _storage_templates,
}


def _record(record: Any) -> dict[str, Any]:
    """A client record's fields, without the raw payload it was read from."""
    fields = dataclasses.fields(record)
    values = {f.name: getattr(record, f.name) for f in fields if f.name != "raw"}
    encoded: dict[str, Any] = jsonable_encoder(values)
    return encoded


async def read_inventory(state: PortalState, who: Principal, what: str) -> list[dict[str, Any]]:
    async with user_cloud(state.settings, who) as cloud:
        return [_record(record) for record in await READERS[what](cloud)]


def _route(what: str) -> None:
    async def listing(who: Viewer, state: State) -> dict[str, Any]:
        return {what: await read_inventory(state, who, what)}

    listing.__name__ = f"list_{what.replace('-', '_')}"
    router.get(f"/{what}", summary=f"PowerVC's {what}")(listing)


for _what in READERS:
    _route(_what)
