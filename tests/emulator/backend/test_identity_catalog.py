"""The catalog records without HTTP: what `declare` does at start."""

from __future__ import annotations

from powerbridge.emulator.backend.identity_catalog import ServiceCatalog, service_id_of
from powerbridge.emulator.config import MEMORY
from powerbridge.emulator.services import SERVICE_NAMES, SERVICES
from powerbridge.emulator.store import Store


def test_declared_services_seed_their_records_once() -> None:
    store = Store(MEMORY)
    catalog = ServiceCatalog(store)
    catalog.declare(SERVICES, "RegionOne")
    nova = service_id_of("nova")
    catalog.delete_service(nova)
    catalog.declare(SERVICES, "RegionOne")  # the next start: an admin's delete stands
    assert nova not in catalog.services
    assert len(catalog.endpoints) == 3 * (sum(len(s.catalog) for s in SERVICES) - 1)


def test_own_endpoints_of_a_service_no_longer_declared_go() -> None:
    catalog = ServiceCatalog(Store(MEMORY))
    catalog.declare(SERVICES, "RegionOne")
    catalog.declare([s for s in SERVICES if s.name != "image"], "RegionOne")
    assert {e.root for e in catalog.endpoints.values()} == set(SERVICE_NAMES) - {"image"}
    glance = catalog.service(service_id_of("glance"))  # the record stays, as an admin's
    assert glance.type == "image"
