"""Keystone's service catalog: service, endpoint and region records, and the catalog tokens carry.

The declared services (`emulator.services`) seed their records at a data dir's first start, and
at the first start of a data dir made before the records existed: which catalog entries were
seeded is kept in the store, so an entry deleted through the API stays deleted.

Where an endpoint's URL lives. Keystone stores absolute URLs; the emulator's own URLs are not
fixed: by default they follow the Host header clients used (proxied style), and in the ports
style the ports are bound at start. So an endpoint of a declared service is marked as the
emulator's own (`root`: the declared service whose root URL it hangs under) and stores only its
path under that root, in keystone's template syntax (`/v2.1/$(project_id)s`); the absolute URL
is resolved per request from the roots the API passes in, and the path is refreshed from the
declaration at every start. An endpoint created through the API, or one whose URL an admin
changes, holds the absolute URL as given, as keystone's do. One rule then serves every URL
style, a configured public URL included.

The catalog of a token is built once per (roots, project, user) and kept until the next write.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.services import CatalogEntry, ServiceDeclaration
from powerbridge.emulator.store import Store

INTERFACES = ("public", "internal", "admin")
SEEDED_META = "catalog_seeded"
CACHED_CATALOGS = 1024
# keystone fills `$(name)s` and `%(name)s`; an endpoint naming anything else is left out
_PLACEHOLDER = re.compile(r"[$%]\((\w+)\)s")

Roots = Mapping[str, str]  # declared service name -> its root URL for this request


@dataclass
class CatalogService:
    id: str
    type: str
    name: str
    description: str = ""
    enabled: bool = True
    position: int = 0  # catalog order: declaration order, then creation order


@dataclass
class Endpoint:
    id: str
    service_id: str
    interface: str
    url: str  # keystone's URL template; under `root` when that is set
    region_id: str | None
    enabled: bool = True
    root: str | None = None  # the emulator's own endpoint: the declared service it hangs under
    position: int = 0


@dataclass
class Region:
    id: str
    description: str = ""
    parent_region_id: str | None = None


def service_id_of(catalog_name: str) -> str:
    """A declared catalog entry's service id, the same in every data dir."""
    return uuid.uuid5(uuid.NAMESPACE_DNS, catalog_name).hex


def endpoint_id_of(catalog_name: str, interface: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{interface}:{catalog_name}").hex


class ServiceCatalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.services: dict[str, CatalogService] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.regions: dict[str, Region] = {}
        self._catalogs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._load()

    def _load(self) -> None:
        services = [CatalogService(**body) for body in self.store.load("service")]
        endpoints = [Endpoint(**body) for body in self.store.load("endpoint")]
        self.services = {s.id: s for s in sorted(services, key=lambda s: s.position)}
        self.endpoints = {e.id: e for e in sorted(endpoints, key=lambda e: e.position)}
        self.regions = {body["id"]: Region(**body) for body in self.store.load("region")}

    def _save(self, kind: str, record: CatalogService | Endpoint | Region) -> None:
        self.store.put(kind, record.id, asdict(record))
        self._catalogs.clear()

    def _next_position(self, records: Iterable[CatalogService | Endpoint]) -> int:
        return max((r.position for r in records), default=-1) + 1

    # -- the declared services -----------------------------------------------------------
    def declare(self, declarations: Sequence[ServiceDeclaration], region: str) -> None:
        """At every start: seed the catalog entries never seeded in this data dir, point the
        emulator's own endpoints at their declared paths, and drop those of a service no
        longer declared."""
        seeded = set(json.loads(self.store.get_meta(SEEDED_META) or "[]"))
        if region not in self.regions:
            self.regions[region] = Region(region)
            self._save("region", self.regions[region])
        for declaration in declarations:
            for entry in declaration.catalog:
                if entry.name not in seeded:
                    self._seed_entry(declaration.name, entry, region)
                    seeded.add(entry.name)
                for interface in INTERFACES:
                    self._refresh(
                        endpoint_id_of(entry.name, interface), declaration.name, entry.path
                    )
        self.store.set_meta(SEEDED_META, json.dumps(sorted(seeded)))
        served = {declaration.name for declaration in declarations}
        for endpoint in [e for e in self.endpoints.values() if e.root not in (None, *served)]:
            self.delete_endpoint(endpoint.id)  # its service is no longer declared: not served

    def _seed_entry(self, root: str, entry: CatalogEntry, region: str) -> None:
        service_id = service_id_of(entry.name)
        if service_id not in self.services:
            position = self._next_position(self.services.values())
            self._add_service(CatalogService(service_id, entry.type, entry.name, position=position))
        for interface in INTERFACES:
            endpoint_id = endpoint_id_of(entry.name, interface)
            self._add_endpoint(
                Endpoint(endpoint_id, service_id, interface, entry.path, region, root=root)
            )

    def _refresh(self, endpoint_id: str, root: str, path: str) -> None:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is not None and endpoint.root is not None:
            endpoint.root, endpoint.url = root, path
            self._save("endpoint", endpoint)

    # -- services ------------------------------------------------------------------------
    def service(self, service_id: str) -> CatalogService:
        try:
            return self.services[service_id]
        except KeyError:
            raise not_found(f"Could not find service: {service_id}.") from None

    def create_service(self, fields: Mapping[str, Any]) -> CatalogService:
        position = self._next_position(self.services.values())
        service = CatalogService(uuid.uuid4().hex, fields["type"], "", position=position)
        self._apply_service(service, fields)
        self._add_service(service)
        return service

    def _add_service(self, service: CatalogService) -> None:
        self.services[service.id] = service
        self._save("service", service)

    def update_service(self, service_id: str, fields: Mapping[str, Any]) -> CatalogService:
        service = self.service(service_id)
        self._apply_service(service, fields)
        self._save("service", service)
        return service

    def _apply_service(self, service: CatalogService, fields: Mapping[str, Any]) -> None:
        for key in ("type", "name", "description", "enabled"):
            if key in fields:
                setattr(service, key, fields[key])

    def delete_service(self, service_id: str) -> None:
        """Its endpoints go with it, as keystone deletes them."""
        self.service(service_id)
        for endpoint in [e for e in self.endpoints.values() if e.service_id == service_id]:
            self.delete_endpoint(endpoint.id)
        del self.services[service_id]
        self.store.delete("service", service_id)
        self._catalogs.clear()

    # -- endpoints -----------------------------------------------------------------------
    def endpoint(self, endpoint_id: str) -> Endpoint:
        try:
            return self.endpoints[endpoint_id]
        except KeyError:
            raise not_found(f"Could not find endpoint: {endpoint_id}.") from None

    def create_endpoint(self, fields: Mapping[str, Any]) -> Endpoint:
        self._check_references(fields)
        endpoint = Endpoint(
            uuid.uuid4().hex,
            fields["service_id"],
            fields["interface"],
            fields["url"],
            fields.get("region_id"),
            fields.get("enabled", True),
        )
        self._add_endpoint(endpoint)
        return endpoint

    def _add_endpoint(self, endpoint: Endpoint) -> None:
        endpoint.position = self._next_position(self.endpoints.values())
        self.endpoints[endpoint.id] = endpoint
        self._save("endpoint", endpoint)

    def update_endpoint(self, endpoint_id: str, fields: Mapping[str, Any]) -> Endpoint:
        endpoint = self.endpoint(endpoint_id)
        self._check_references(fields)
        for key in ("service_id", "interface", "region_id", "enabled"):
            if key in fields:
                setattr(endpoint, key, fields[key])
        if "url" in fields:  # an admin's URL: absolute, no longer the emulator's own
            endpoint.url, endpoint.root = fields["url"], None
        self._save("endpoint", endpoint)
        return endpoint

    def _check_references(self, fields: Mapping[str, Any]) -> None:
        """Keystone's wording for a service or region that does not exist."""
        if "service_id" in fields and fields["service_id"] not in self.services:
            raise _missing_reference("endpoint service_id", "service table")
        region_id = fields.get("region_id")
        if region_id is not None and region_id not in self.regions:
            raise _missing_reference("endpoint region_id", "region table")

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.endpoint(endpoint_id)
        del self.endpoints[endpoint_id]
        self.store.delete("endpoint", endpoint_id)
        self._catalogs.clear()

    def endpoint_url(self, endpoint: Endpoint, roots: Roots) -> str:
        """The stored URL template, absolute (`$(project_id)s` left as it is)."""
        return roots[endpoint.root] + endpoint.url if endpoint.root is not None else endpoint.url

    # -- regions -------------------------------------------------------------------------
    def region(self, region_id: str) -> Region:
        try:
            return self.regions[region_id]
        except KeyError:
            raise not_found(f"Could not find region: {region_id}.") from None

    def create_region(self, fields: Mapping[str, Any], region_id: str | None = None) -> Region:
        region_id = region_id or uuid.uuid4().hex
        if region_id in self.regions:
            raise conflict(
                f"Conflict occurred attempting to store region - Duplicate ID, {region_id}."
            )
        region = Region(region_id)
        self._apply_region(region, fields)
        self.regions[region.id] = region
        self._save("region", region)
        return region

    def update_region(self, region_id: str, fields: Mapping[str, Any]) -> Region:
        region = self.region(region_id)
        self._apply_region(region, fields)
        self._save("region", region)
        return region

    def _apply_region(self, region: Region, fields: Mapping[str, Any]) -> None:
        parent = fields.get("parent_region_id")
        if parent is not None:
            if parent not in self.regions:
                raise not_found(f"Could not find region: {parent}.")
            if parent == region.id or region.id in self._region_ancestors(parent):
                raise bad_request(
                    f"Circular reference or a repeated entry found in region tree - {region.id}."
                )
        if "description" in fields:
            region.description = fields["description"] or ""  # null reads as empty, as keystone
        if "parent_region_id" in fields:
            region.parent_region_id = parent

    def _region_ancestors(self, region_id: str) -> list[str]:
        found: list[str] = []
        parent = self.regions[region_id].parent_region_id if region_id in self.regions else None
        while parent is not None and parent not in found:
            found.append(parent)
            parent = self.regions[parent].parent_region_id if parent in self.regions else None
        return found

    def delete_region(self, region_id: str) -> None:
        """Its child regions go with it, as keystone's SQL driver deletes them; a region an
        endpoint is in cannot go (keystone's 403)."""
        self.region(region_id)
        doomed = [region_id] + [r for r in self.regions if region_id in self._region_ancestors(r)]
        if any(e.region_id in doomed for e in self.endpoints.values()):
            raise forbidden(
                f"Unable to delete region {region_id} because it or its child regions have "
                f"associated endpoints."
            )
        for doomed_id in doomed:
            del self.regions[doomed_id]
            self.store.delete("region", doomed_id)
        self._catalogs.clear()

    # -- the catalog of a token ----------------------------------------------------------
    def token_catalog(self, roots: Roots, project_id: str, user_id: str) -> list[dict[str, Any]]:
        """The enabled services, each with its enabled endpoints, URLs filled in (shared
        between tokens: never mutate it)."""
        key = (tuple(roots.items()), project_id, user_id)
        catalog = self._catalogs.get(key)
        if catalog is None:
            if len(self._catalogs) >= CACHED_CATALOGS:
                self._catalogs.clear()
            values = {"project_id": project_id, "tenant_id": project_id, "user_id": user_id}
            catalog = [
                self._catalog_entry(service, roots, values)
                for service in self.services.values()
                if service.enabled
            ]
            self._catalogs[key] = catalog
        return catalog

    def _catalog_entry(
        self, service: CatalogService, roots: Roots, values: Mapping[str, str]
    ) -> dict[str, Any]:
        endpoints = []
        for endpoint in self.endpoints.values():
            if endpoint.service_id != service.id or not endpoint.enabled:
                continue
            url = _filled(self.endpoint_url(endpoint, roots), values)
            if url is not None:
                endpoints.append(
                    {
                        "id": endpoint.id,
                        "interface": endpoint.interface,
                        "region_id": endpoint.region_id,
                        "region": endpoint.region_id,
                        "url": url,
                    }
                )
        return {
            "endpoints": endpoints,
            "id": service.id,
            "type": service.type,
            "name": service.name,
        }


def _filled(template: str, values: Mapping[str, str]) -> str | None:
    if any(name not in values for name in _PLACEHOLDER.findall(template)):
        return None
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _missing_reference(attribute: str, target: str) -> ApiError:
    return bad_request(
        f"Expecting to find {attribute} in {target}. The server could not comply with the "
        f"request since it is either malformed or otherwise incorrect. The client is assumed "
        f"to be in error."
    )
