"""Every service the emulator serves, declared once.

A declaration names the service (its URL segment under `/powervc/openstack`, its per-port
default, the name behaviour rules and logs use), the Keystone service records seeded for it
(type, name, and the endpoint path under the service's root) and, by that name, its API
package: `powerbridge.emulator.api.<name>` holds the service's `routes` table. The apps, the
socket binding, the URLs, the behaviour rules and Keystone's catalog all read `SERVICES`, so
adding a service is one new API package and one line here.

This module imports nothing of the emulator: the route tables are looked up by name when the
apps are built (`app.route_table`), so the backends (behaviour rules check service names) can
read the declarations without an import cycle through the API packages.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PACKAGE = "powerbridge.emulator.api"


@dataclass(frozen=True)
class CatalogEntry:
    """One Keystone service record of a declared service: its catalog type and name, and the
    path of its endpoints under the service's root, in keystone's endpoint URL syntax
    (`$(project_id)s` is filled in per token)."""

    type: str
    name: str
    path: str


@dataclass(frozen=True)
class ServiceDeclaration:
    name: str
    catalog: tuple[CatalogEntry, ...]
    port: int | None  # ports URL style's default port; None: the main port, as keystone's

    @property
    def package(self) -> str:
        """The API package holding this service's `routes` table."""
        return f"{API_PACKAGE}.{self.name}"

    @property
    def on_main_port(self) -> bool:
        return self.port is None


def _project_path(version: str) -> str:
    return f"/{version}/$(project_id)s"


SERVICES = (
    ServiceDeclaration("identity", (CatalogEntry("identity", "keystone", "/v3"),), None),
    ServiceDeclaration("compute", (CatalogEntry("compute", "nova", _project_path("v2.1")),), 8774),
    ServiceDeclaration("image", (CatalogEntry("image", "glance", ""),), 9292),
    ServiceDeclaration("network", (CatalogEntry("network", "neutron", ""),), 9696),
    ServiceDeclaration(
        "volume",
        (
            CatalogEntry("volume", "cinder", _project_path("v3")),
            CatalogEntry("volumev2", "cinderv2", _project_path("v2")),
            CatalogEntry("volumev3", "cinderv3", _project_path("v3")),
            CatalogEntry("block-storage", "cinder-block-storage", _project_path("v3")),
        ),
        9000,
    ),
)
SERVICE_NAMES = tuple(service.name for service in SERVICES)
# identity, the emulator's own API, and every service when proxied
MAIN_SERVICE = next(service.name for service in SERVICES if service.on_main_port)


def declared(name: str) -> ServiceDeclaration:
    """The declaration of service `name`; a KeyError for a service not declared."""
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(name)
