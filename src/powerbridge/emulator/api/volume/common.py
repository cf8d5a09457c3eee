"""Shared pieces of the volume API: the service, the caller checked against the path's project,
the backend, timestamps, links and query flags.

Every resource route exists under `/v2/{project_id}` (no microversions) and `/v3/{project_id}`
(microversions 3.0 to 3.59); response fields appear at the microversion that added them."""

from __future__ import annotations

from datetime import UTC, datetime

from powerbridge.emulator.api.routing import Call, ServiceInfo
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import forbidden

SERVICE = ServiceInfo("volume", "cinder-api", "cinder.api.openstack.wsgi")
UNLIMITED = -1
TRUE_STRINGS = ("true", "1", "on", "yes", "y", "t")


def path_caller(call: Call) -> Caller:
    """The token's identity; a token for another project than the URL's is refused."""
    caller = call.auth
    path_project = call.params.get("project_id", "")
    if path_project != caller.project_id and not caller.is_admin:
        raise forbidden(
            f"URL's project_id '{path_project}' doesn't match Context's project_id "
            f"'{caller.project_id}'"
        )
    return caller


def volumes_of(call: Call) -> VolumeBackend:
    return call.emulator.volumes


def api_version(call: Call) -> str:
    return "v2" if call.microversion is None else "v3"


def timestamp(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def project_of(call: Call, caller: Caller) -> str:
    return caller.project_id or call.params.get("project_id", "")


def links(call: Call, collection: str, item_id: str) -> list[dict[str, str]]:
    root = call.base_url()
    project = project_of(call, call.auth)
    return [
        {"rel": "self", "href": f"{root}/{api_version(call)}/{project}/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{root}/{project}/{collection}/{item_id}"},
    ]


def flag(text: str | None) -> bool:
    return text is not None and text.strip().lower() in TRUE_STRINGS
