"""Keystone's catalog over HTTP: services, endpoints and regions, and the catalog of a token.

Reads and writes of services and endpoints are admin-only, as keystone's default policy has
them; regions are readable by any token. URLs of the emulator's own endpoints are resolved per
request (see `backend.identity_catalog`).
"""

from __future__ import annotations

import re
from typing import Any

from powerbridge.emulator.api.identity.common import (
    Check,
    boolean,
    checked_fields,
    entity_of,
    links,
    name_of,
    shown,
    text,
    v3_url,
)
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_catalog import (
    INTERFACES,
    CatalogService,
    Endpoint,
    Region,
    Roots,
)
from powerbridge.emulator.backend.identity_records import Caller, require_admin
from powerbridge.emulator.errors import bad_request
from powerbridge.emulator.services import SERVICE_NAMES

# keystone's parameter_types.url
_URL = re.compile(r"^[a-zA-Z0-9+.-]+:.+")


def roots(call: Call) -> Roots:
    """The root URL of every declared service, as this request reaches them."""
    return {name: call.emulator.service_url(name, call.request) for name in SERVICE_NAMES}


def token_catalog(call: Call, caller: Caller) -> list[dict[str, Any]]:
    if caller.project_id is None:
        return []
    return call.emulator.identity.catalog.token_catalog(
        roots(call), caller.project_id, caller.user_id
    )


# -- request bodies ---------------------------------------------------------------------
_type = name_of(255)  # keystone's service type: 1 to 255 characters


def _interface(value: Any, key: str) -> str:
    if value not in INTERFACES:
        raise bad_request(
            f"Invalid input for field '{key}': {shown(value)} is not one of "
            f"{', '.join(repr(i) for i in INTERFACES)}."
        )
    return str(value)


def _url(value: Any, key: str) -> str:
    if not isinstance(value, str) or len(value) > 225 or not _URL.match(value):
        raise bad_request(f"Invalid input for field '{key}': {shown(value)} is not a URL.")
    return value


def _reference(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise bad_request(f"Invalid input for field '{key}': {shown(value)} is not a string.")
    return value


def _region_or_null(value: Any, key: str) -> str | None:
    return None if value is None else _reference(value, key)


SERVICE_FIELDS: dict[str, Check] = {
    "type": _type,
    "name": text,
    "description": text,
    "enabled": boolean,
}
ENDPOINT_FIELDS: dict[str, Check] = {
    "service_id": _reference,
    "interface": _interface,
    "url": _url,
    "region_id": _region_or_null,
    "enabled": boolean,
}


def _endpoint_fields(call: Call, *, create: bool) -> dict[str, Any]:
    entity = entity_of(call, "endpoint")
    legacy = entity.get("region") is not None and entity.get("region_id") is None
    if "region" in entity and "region_id" not in entity:  # keystone's older spelling
        entity = {**entity, "region_id": entity["region"]}
    for key in ("service_id", "interface", "url"):
        if create and key not in entity:
            raise bad_request(f"Invalid input for field '{key}': '{key}' is a required property.")
    fields = checked_fields(entity, ENDPOINT_FIELDS, create=False)
    region = fields.get("region_id")
    catalog = call.emulator.identity.catalog
    if legacy and region is not None and region not in catalog.regions:
        # keystone's backward compatibility: a v2-style `region` that does not exist is made
        catalog.create_region({}, region)
    return fields


# -- wire shapes ------------------------------------------------------------------------
def service_view(call: Call, service: CatalogService) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": service.id,
        "name": service.name,
        "type": service.type,
        "enabled": service.enabled,
        "links": {"self": f"{v3_url(call)}/services/{service.id}"},
    }
    if service.description:
        body["description"] = service.description
    return body


def endpoint_view(call: Call, endpoint: Endpoint, urls: Roots) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "interface": endpoint.interface,
        "region_id": endpoint.region_id,
        "region": endpoint.region_id,
        "service_id": endpoint.service_id,
        "url": call.emulator.identity.catalog.endpoint_url(endpoint, urls),
        "enabled": endpoint.enabled,
        "links": {"self": f"{v3_url(call)}/endpoints/{endpoint.id}"},
    }


def region_view(call: Call, region: Region) -> dict[str, Any]:
    return {
        "id": region.id,
        "description": region.description,
        "parent_region_id": region.parent_region_id,
        "links": {"self": f"{v3_url(call)}/regions/{region.id}"},
    }


# -- services ---------------------------------------------------------------------------
def list_services(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_services")
    services = list(call.emulator.identity.catalog.services.values())
    for key in ("type", "name"):
        wanted = call.query.get(key)
        if wanted is not None:
            services = [s for s in services if getattr(s, key) == wanted]
    return Reply(
        {"services": [service_view(call, s) for s in services], "links": links(call, "/services")}
    )


def create_service(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_service")
    entity = entity_of(call, "service")
    if "type" not in entity:
        raise bad_request("Invalid input for field 'type': 'type' is a required property.")
    fields = checked_fields(entity, SERVICE_FIELDS, create=False)
    service = call.emulator.identity.catalog.create_service(fields)
    return Reply({"service": service_view(call, service)}, status=201)


def show_service(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_service")
    service = call.emulator.identity.catalog.service(call.params["service_id"])
    return Reply({"service": service_view(call, service)})


def update_service(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_service")
    fields = checked_fields(entity_of(call, "service"), SERVICE_FIELDS, create=False)
    service = call.emulator.identity.catalog.update_service(call.params["service_id"], fields)
    return Reply({"service": service_view(call, service)})


def delete_service(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_service")
    call.emulator.identity.catalog.delete_service(call.params["service_id"])
    return Reply(status=204)


# -- endpoints --------------------------------------------------------------------------
def list_endpoints(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_endpoints")
    endpoints = list(call.emulator.identity.catalog.endpoints.values())
    for key in ("service_id", "interface", "region_id"):
        wanted = call.query.get(key)
        if wanted is not None:
            endpoints = [e for e in endpoints if getattr(e, key) == wanted]
    urls = roots(call)
    return Reply(
        {
            "endpoints": [endpoint_view(call, e, urls) for e in endpoints],
            "links": links(call, "/endpoints"),
        }
    )


def create_endpoint(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_endpoint")
    fields = _endpoint_fields(call, create=True)
    endpoint = call.emulator.identity.catalog.create_endpoint(fields)
    return Reply({"endpoint": endpoint_view(call, endpoint, roots(call))}, status=201)


def show_endpoint(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_endpoint")
    endpoint = call.emulator.identity.catalog.endpoint(call.params["endpoint_id"])
    return Reply({"endpoint": endpoint_view(call, endpoint, roots(call))})


def update_endpoint(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_endpoint")
    fields = _endpoint_fields(call, create=False)
    endpoint = call.emulator.identity.catalog.update_endpoint(call.params["endpoint_id"], fields)
    return Reply({"endpoint": endpoint_view(call, endpoint, roots(call))})


def delete_endpoint(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_endpoint")
    call.emulator.identity.catalog.delete_endpoint(call.params["endpoint_id"])
    return Reply(status=204)


# -- regions ----------------------------------------------------------------------------
REGION_FIELDS: dict[str, Check] = {
    "description": _region_or_null,
    "parent_region_id": _region_or_null,
}


def list_regions(call: Call) -> Reply:
    regions = list(call.emulator.identity.catalog.regions.values())
    parent = call.query.get("parent_region_id")
    if parent is not None:
        regions = [r for r in regions if r.parent_region_id == parent]
    return Reply(
        {"regions": [region_view(call, r) for r in regions], "links": links(call, "/regions")}
    )


def show_region(call: Call) -> Reply:
    region = call.emulator.identity.catalog.region(call.params["region_id"])
    return Reply({"region": region_view(call, region)})


def _region_fields(call: Call, *, create: bool) -> dict[str, Any]:
    entity = entity_of(call, "region")
    if not create and not entity:
        raise bad_request("Invalid input: an update needs at least one field.")
    return {key: check(entity[key], key) for key, check in REGION_FIELDS.items() if key in entity}


def create_region(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_region")
    entity = entity_of(call, "region")
    region_id = entity.get("id")
    if region_id is not None and (not isinstance(region_id, str) or not region_id.strip()):
        raise bad_request("Invalid input for field 'id': a non-empty string is required.")
    region = call.emulator.identity.catalog.create_region(
        _region_fields(call, create=True), region_id
    )
    return Reply({"region": region_view(call, region)}, status=201)


def create_region_with_id(call: Call) -> Reply:
    """`PUT /v3/regions/{region_id}`: keystone's create with the caller's id."""
    require_admin(call.auth, "identity:create_region")
    entity = entity_of(call, "region")
    if "id" in entity and entity["id"] != call.params["region_id"]:
        raise bad_request("Conflicting region IDs specified: the URL and the body differ.")
    region = call.emulator.identity.catalog.create_region(
        _region_fields(call, create=True), call.params["region_id"]
    )
    return Reply({"region": region_view(call, region)}, status=201)


def update_region(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_region")
    catalog = call.emulator.identity.catalog
    region = catalog.update_region(call.params["region_id"], _region_fields(call, create=False))
    return Reply({"region": region_view(call, region)})


def delete_region(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_region")
    call.emulator.identity.catalog.delete_region(call.params["region_id"])
    return Reply(status=204)
