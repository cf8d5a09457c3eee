"""Cinder on PowerVC: volumes and storage templates (volume types).

A storage template names the storage provider and pool a volume is carved from, and how
(thin provisioning, ...); PowerVC keeps those as the volume type's extra specs. A shared
volume (`multiattach`) can be attached to several VMs at once, as PowerHA clusters need.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from powerbridge.client import _resource
from powerbridge.client._guarded import TOKEN_KEY, Listing, Lookup, guarded_create, listing
from powerbridge.client._records import WireRecord, raw_payload, wire
from powerbridge.client._wire import Record, text
from powerbridge.client.errors import ClientError, UnsupportedVersion, request_id
from powerbridge.client.session import Session

SERVICE = "volume"  # the session picks volumev3 first, then cinder's other catalog types
MULTIATTACH_MICROVERSION = "3.50"
MESSAGES_MICROVERSION = "3.3"  # cinder's user messages (why an accepted create failed)
FINAL_STATUSES = frozenset({"available", "in-use", "error", "deleted"})


@dataclass(frozen=True)
class Attachment(WireRecord):
    server_id: str
    attachment_id: str | None = None
    device: str | None = None
    host_name: str | None = None
    attached_at: datetime | None = None


def _lower_text(value: Any) -> str:
    return text(value).lower()


@dataclass(frozen=True)
class Volume(WireRecord):
    id: str
    name: str
    status: str = field(metadata=wire(conv=_lower_text))
    size: int  # GB
    storage_template: str | None = field(  # the volume type's name
        default=None, metadata=wire("volume_type")
    )
    multiattach: bool = False
    bootable: bool = False
    attachments: tuple[Attachment, ...] = ()
    availability_zone: str | None = None
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    host: str | None = field(  # the cinder backend, admin only
        default=None, metadata=wire("os-vol-host-attr:host")
    )
    project_id: str | None = field(default=None, metadata=wire("os-vol-tenant-attr:tenant_id"))
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = raw_payload()

    @property
    def server_ids(self) -> tuple[str, ...]:
        return tuple(a.server_id for a in self.attachments)


@dataclass(frozen=True)
class StorageTemplate(WireRecord):
    """A PowerVC storage template: a cinder volume type and its extra specs."""

    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = raw_payload()

    @property
    def backend(self) -> str | None:
        """The storage backend (provider) the template places volumes on, when it says."""
        return self.extra_specs.get("volume_backend_name") or self.extra_specs.get(
            "capabilities:volume_backend_name"
        )


@dataclass(frozen=True)
class VolumeCreate(Record):
    size: int  # GB
    name: str | None = None
    storage_template: str | None = None  # a volume type id or name
    multiattach: bool = False
    description: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        volume: dict[str, Any] = {"size": self.size}
        for key, value in (
            ("name", self.name),
            ("volume_type", self.storage_template),
            ("description", self.description),
        ):
            if value:
                volume[key] = value
        if self.multiattach:
            volume["multiattach"] = True
        if self.metadata:
            volume["metadata"] = dict(self.metadata)
        return {"volume": volume}


def volume_lookup(session: Session) -> Lookup:
    """How a guarded `POST /volumes` finds its volume: `GET /volumes/detail?name=<name>`, or for
    a volume without a name cinder's metadata filter on the client token."""

    async def lookup(name: str | None, token: str) -> Listing:
        params = {"name": name} if name else {"metadata": json.dumps({TOKEN_KEY: token})}
        return await listing(session, SERVICE, "/volumes/detail", "volumes", params)

    return lookup


class BlockStorage:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def volumes(
        self,
        *,
        name: str | None = None,
        all_projects: bool = False,
        page_size: int | None = None,
        on_page: Any = None,
    ) -> list[Volume]:
        params: dict[str, Any] = {}
        if name:
            params["name"] = name
        if all_projects:
            params["all_tenants"] = "1"
        if page_size:
            params["limit"] = page_size
        rows = await _resource.list_all(
            self.session, SERVICE, "/volumes/detail", "volumes", params=params, on_page=on_page
        )
        return [Volume.from_wire(row) for row in rows]

    async def volume(self, volume_id: str) -> Volume:
        path = _resource.item_path("/volumes", volume_id)
        body = await _resource.get_json(self.session, SERVICE, path)
        return Volume.from_wire(body.get("volume") or {})

    async def find_volume(self, name_or_id: str) -> Volume:
        async def named(name: str) -> list[Volume]:
            return await self.volumes(name=name)

        return await _resource.find("volume", name_or_id, self.volume, named)

    async def create_volume(self, request: VolumeCreate) -> tuple[Volume, str | None]:
        """`POST /volumes`; the new volume (status creating, or further along when a lost
        answer was made up for by a lookup) and the request id. Never blindly retried: the
        volume carries a client token in its metadata (`powerbridge:request`), and after a lost
        answer, 429, 502, 503 or 504 it is looked up by name and token before being sent
        again (`powerbridge.client._guarded`)."""
        version = None
        if request.multiattach:
            try:
                version = await self.session.negotiate(SERVICE, MULTIATTACH_MICROVERSION)
            except UnsupportedVersion:
                version = None
        created = await guarded_create(
            self.session,
            SERVICE,
            "/volumes",
            "volume",
            request.to_wire(),
            lookup=volume_lookup(self.session),
            microversion=version,
        )
        return Volume.from_wire(created.resource), created.request_id

    async def failure_reason(self, volume_id: str) -> str | None:
        """Cinder's newest user message about the volume (`GET /messages`, microversion 3.3,
        filtered by `resource_uuid`), e.g. "schedule allocate volume: Could not find any
        available weighted backend."; None when the cloud keeps no messages (an older
        microversion, 404) or cannot be asked: the caller then says what it said before."""
        try:
            version = await self.session.negotiate(SERVICE, MESSAGES_MICROVERSION)
            if _version_tuple(version) < _version_tuple(MESSAGES_MICROVERSION):
                return None
            body = await _resource.get_json(
                self.session,
                SERVICE,
                "/messages",
                params={"resource_uuid": volume_id},
                microversion=version,
            )
        except ClientError:  # best effort: the failure it explains is reported either way
            return None
        # filtered here too: a cinder before 3.5 ignores the query's filter
        found = [
            m
            for m in body.get("messages") or []
            if isinstance(m, dict) and m.get("resource_uuid") == volume_id and m.get("user_message")
        ]
        if not found:
            return None
        newest = max(found, key=lambda m: str(m.get("created_at") or ""))
        return str(newest["user_message"])

    async def delete_volume(self, volume_id: str) -> str | None:
        response = await self.session.request(
            SERVICE, "DELETE", _resource.item_path("/volumes", volume_id)
        )
        return request_id(response)

    async def storage_templates(self) -> list[StorageTemplate]:
        rows = await _resource.list_all(self.session, SERVICE, "/types", "volume_types")
        return [StorageTemplate.from_wire(row) for row in rows]

    async def storage_template(self, template_id: str) -> StorageTemplate:
        path = _resource.item_path("/types", template_id)
        body = await _resource.get_json(self.session, SERVICE, path)
        return StorageTemplate.from_wire(body.get("volume_type") or {})

    async def find_storage_template(self, name_or_id: str) -> StorageTemplate:
        async def everything(_: str) -> list[StorageTemplate]:
            return await self.storage_templates()

        return await _resource.find(
            "storage template", name_or_id, self.storage_template, everything, complete=True
        )


def _version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)
