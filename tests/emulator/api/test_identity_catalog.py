"""Keystone's catalog records over HTTP: services, endpoints, regions, and tokens' catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.backend.identity_catalog import (
    SEEDED_META,
)
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, password_auth, provision

BASE = "http://testserver/powervc/openstack"
DECLARED = [
    ("identity", "keystone"),
    ("compute", "nova"),
    ("image", "glance"),
    ("network", "neutron"),
    ("volume", "cinder"),
    ("volumev2", "cinderv2"),
    ("volumev3", "cinderv3"),
    ("block-storage", "cinder-block-storage"),
]


def new_catalog(client: TestClient) -> list[dict[str, Any]]:
    response = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
    assert response.status_code == 201, response.text
    catalog: list[dict[str, Any]] = response.json()["token"]["catalog"]
    return catalog


def create_service(admin: TestClient, **fields: Any) -> dict[str, Any]:
    response = admin.post(f"{IDENTITY}/services", json={"service": fields})
    assert response.status_code == 201, response.text
    service: dict[str, Any] = response.json()["service"]
    return service


def create_endpoint(admin: TestClient, **fields: Any) -> dict[str, Any]:
    response = admin.post(f"{IDENTITY}/endpoints", json={"endpoint": fields})
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()["endpoint"]
    return endpoint


def public_url(catalog: list[dict[str, Any]], service_type: str) -> str:
    service = next(s for s in catalog if s["type"] == service_type)
    return str(next(e["url"] for e in service["endpoints"] if e["interface"] == "public"))


class TestServices:
    def test_the_declared_services_in_catalog_order(self, admin: TestClient) -> None:
        body = admin.get(f"{IDENTITY}/services").json()
        assert [(s["type"], s["name"]) for s in body["services"]] == DECLARED
        nova = body["services"][1]
        assert nova["enabled"] is True
        assert nova["links"]["self"] == f"{BASE}/identity/v3/services/{nova['id']}"
        assert body["links"]["self"] == f"{BASE}/identity/v3/services"

    def test_filters(self, admin: TestClient) -> None:
        by_type = admin.get(f"{IDENTITY}/services?type=volumev3").json()["services"]
        assert [s["name"] for s in by_type] == ["cinderv3"]
        by_name = admin.get(f"{IDENTITY}/services?name=glance").json()["services"]
        assert [s["type"] for s in by_name] == ["image"]

    def test_create_show_update_delete(self, admin: TestClient) -> None:
        created = create_service(admin, type="metering", name="ceilometer", description="m")
        assert created["description"] == "m"
        shown = admin.get(f"{IDENTITY}/services/{created['id']}").json()["service"]
        assert shown == created
        patched = admin.patch(
            f"{IDENTITY}/services/{created['id']}", json={"service": {"enabled": False}}
        )
        assert patched.json()["service"]["enabled"] is False
        assert admin.delete(f"{IDENTITY}/services/{created['id']}").status_code == 204
        missing = admin.get(f"{IDENTITY}/services/{created['id']}")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == f"Could not find service: {created['id']}."

    def test_type_is_required(self, admin: TestClient) -> None:
        response = admin.post(f"{IDENTITY}/services", json={"service": {"name": "x"}})
        assert response.status_code == 400
        assert "'type' is a required property" in response.json()["error"]["message"]

    def test_writes_and_reads_are_admin_only(self, client: TestClient, admin_token: str) -> None:
        member = provision(client, admin_token, "p1", "member1")
        response = client.post(
            f"{IDENTITY}/services", json={"service": {"type": "x"}}, headers=member.headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["message"] == (
            "You are not authorized to perform the requested action: identity:create_service."
        )
        listed = client.get(f"{IDENTITY}/endpoints", headers=member.headers)
        assert listed.status_code == 403
        assert client.get(f"{IDENTITY}/regions", headers=member.headers).status_code == 200


class TestEndpoints:
    def test_declared_endpoints_keep_the_project_placeholder(self, admin: TestClient) -> None:
        nova = admin.get(f"{IDENTITY}/services?type=compute").json()["services"][0]
        endpoints = admin.get(f"{IDENTITY}/endpoints?service_id={nova['id']}").json()["endpoints"]
        assert [e["interface"] for e in endpoints] == ["public", "internal", "admin"]
        assert {e["url"] for e in endpoints} == {f"{BASE}/compute/v2.1/$(project_id)s"}
        assert endpoints[0]["region_id"] == endpoints[0]["region"] == "RegionOne"
        public = admin.get(f"{IDENTITY}/endpoints?interface=public").json()["endpoints"]
        assert len(public) == len(DECLARED)

    def test_a_new_service_and_endpoint_appear_in_new_tokens(
        self, admin: TestClient, project_id: str
    ) -> None:
        before = new_catalog(admin)  # cached: the write below must replace it
        service = create_service(admin, type="orchestration", name="heat")
        endpoint = create_endpoint(
            admin,
            service_id=service["id"],
            interface="public",
            url="http://heat.example:8004/v1/$(project_id)s",
            region_id="RegionOne",
        )
        assert endpoint["url"] == "http://heat.example:8004/v1/$(project_id)s"
        after = new_catalog(admin)
        assert len(after) == len(before) + 1
        heat = after[-1]
        assert (heat["type"], heat["name"], heat["id"]) == ("orchestration", "heat", service["id"])
        assert heat["endpoints"] == [
            {
                "id": endpoint["id"],
                "interface": "public",
                "region_id": "RegionOne",
                "region": "RegionOne",
                "url": f"http://heat.example:8004/v1/{project_id}",
            }
        ]
        assert admin.delete(f"{IDENTITY}/services/{service['id']}").status_code == 204
        assert admin.get(f"{IDENTITY}/endpoints/{endpoint['id']}").status_code == 404
        assert new_catalog(admin) == before

    def test_an_admin_url_replaces_the_emulators_own(self, admin: TestClient) -> None:
        glance = admin.get(f"{IDENTITY}/services?type=image").json()["services"][0]
        query = f"{IDENTITY}/endpoints?service_id={glance['id']}&interface=public"
        endpoint = admin.get(query).json()["endpoints"][0]
        patched = admin.patch(
            f"{IDENTITY}/endpoints/{endpoint['id']}",
            json={"endpoint": {"url": "https://glance.example:9292"}},
        )
        assert patched.status_code == 200, patched.text
        assert public_url(new_catalog(admin), "image") == "https://glance.example:9292"

    def test_disabled_endpoints_and_services_leave_the_catalog(self, admin: TestClient) -> None:
        neutron = admin.get(f"{IDENTITY}/services?type=network").json()["services"][0]
        admin.patch(f"{IDENTITY}/services/{neutron['id']}", json={"service": {"enabled": False}})
        assert "network" not in {s["type"] for s in new_catalog(admin)}
        glance = admin.get(f"{IDENTITY}/services?type=image").json()["services"][0]
        endpoints = admin.get(f"{IDENTITY}/endpoints?service_id={glance['id']}").json()
        for endpoint in endpoints["endpoints"]:
            if endpoint["interface"] != "admin":
                admin.delete(f"{IDENTITY}/endpoints/{endpoint['id']}")
        image = next(s for s in new_catalog(admin) if s["type"] == "image")
        assert [e["interface"] for e in image["endpoints"]] == ["admin"]

    def test_checks(self, admin: TestClient) -> None:
        nova = admin.get(f"{IDENTITY}/services?type=compute").json()["services"][0]
        good = {"service_id": nova["id"], "interface": "public", "url": "http://h:1/v"}
        cases = [
            ({k: v for k, v in good.items() if k != "url"}, "'url' is a required property"),
            ({**good, "interface": "outside"}, "is not one of"),
            ({**good, "url": "not a url"}, "is not a URL"),
            ({**good, "service_id": "nope"}, "endpoint service_id in service table"),
            ({**good, "region_id": "Mars"}, "endpoint region_id in region table"),
            ({**good, "enabled": "yes"}, "is not a boolean"),
        ]
        for body, message in cases:
            response = admin.post(f"{IDENTITY}/endpoints", json={"endpoint": body})
            assert response.status_code == 400, body
            assert message in response.json()["error"]["message"], body

    def test_the_older_region_spelling(self, admin: TestClient) -> None:
        nova = admin.get(f"{IDENTITY}/services?type=compute").json()["services"][0]
        endpoint = create_endpoint(
            admin, service_id=nova["id"], interface="admin", url="http://h:1", region="RegionOne"
        )
        assert endpoint["region_id"] == "RegionOne"


class TestRegions:
    def test_the_estate_region(self, admin: TestClient) -> None:
        regions = admin.get(f"{IDENTITY}/regions").json()["regions"]
        assert [r["id"] for r in regions] == ["RegionOne"]
        shown = admin.get(f"{IDENTITY}/regions/RegionOne").json()["region"]
        assert shown["parent_region_id"] is None
        assert shown["links"]["self"] == f"{BASE}/identity/v3/regions/RegionOne"
        assert admin.get(f"{IDENTITY}/regions/Mars").status_code == 404


class TestPersistence:
    def open(self, data: Path) -> Emulator:
        return Emulator(EmulatorConfig(data_dir=data))

    def test_records_survive_a_restart_and_deletes_stay(self, tmp_path: Path) -> None:
        emulator = self.open(tmp_path)
        catalog = emulator.identity.catalog
        added = catalog.create_service({"type": "dns", "name": "designate"})
        cinderv2 = next(s for s in catalog.services.values() if s.name == "cinderv2")
        catalog.delete_service(cinderv2.id)
        emulator.close()
        reopened = self.open(tmp_path)
        names = [s.name for s in reopened.identity.catalog.services.values()]
        assert names == [n for _, n in DECLARED if n != "cinderv2"] + ["designate"]
        assert added.id in reopened.identity.catalog.services
        reopened.close()

    def test_a_data_dir_from_before_the_records_is_seeded(self, tmp_path: Path) -> None:
        emulator = self.open(tmp_path)
        for kind in ("service", "endpoint", "region"):
            for body in list(emulator.store.load(kind)):
                emulator.store.delete(kind, body["id"])
        emulator.store._db.execute("DELETE FROM meta WHERE key=?", (SEEDED_META,))
        emulator.close()
        reopened = self.open(tmp_path)
        with TestClient(create_app(reopened)) as client:
            catalog = new_catalog(client)
        assert [(s["type"], s["name"]) for s in catalog] == DECLARED
        assert public_url(catalog, "identity") == f"{BASE}/identity/v3"
        reopened.close()

    def test_own_endpoints_follow_the_bound_ports(self, tmp_path: Path) -> None:
        first = self.open(tmp_path)
        first.close()
        config = EmulatorConfig(
            data_dir=tmp_path,
            url_style="ports",
            port=5000,
            service_ports={"compute": 18774, "image": 9292, "network": 9696, "volume": 9000},
        )
        emulator = Emulator(config)
        with TestClient(create_app(emulator), base_url="http://powervc.example:5000") as client:
            catalog = new_catalog(client)
        assert public_url(catalog, "compute").startswith("http://powervc.example:18774/v2.1/")
        assert public_url(catalog, "identity") == "http://powervc.example:5000/v3"
        emulator.close()
