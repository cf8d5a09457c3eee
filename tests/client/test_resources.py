"""Resource records (wire -> Python), requests (Python -> wire), pages and name lookups."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from powerbridge.client import (
    AmbiguousName,
    BlockDevice,
    Cloud,
    CollocationRule,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    InlineFlavor,
    NameNotFound,
    Network,
    NetworkRequest,
    NotFound,
    Port,
    Server,
    ServerCreate,
    ServerOrder,
    StorageConnectivityGroup,
    StorageTemplate,
    Subnet,
    Volume,
    VolumeCreate,
)
from powerbridge.client import ClientError as SdkError
from powerbridge.client._resource import next_query
from powerbridge.client.session import Session
from tests.support.fake_cloud import CONFIG, PROJECT, PROXIED, FakeCloud, ok

T = TypeVar("T")
COMPUTE = f"{PROXIED}/compute/v2.1/{PROJECT}"
IMAGE = f"{PROXIED}/image"
VOLUME = f"{PROXIED}/volume/v3/{PROJECT}"


def with_cloud(fake: FakeCloud, use: Callable[[Cloud], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Cloud(Session(CONFIG, transport=fake.transport())) as cloud:
            return await use(cloud)

    return asyncio.run(main())


# -- records ----------------------------------------------------------------------------------
SERVER = {
    "id": "s1",
    "name": "vm1",
    "status": "ERROR",
    "OS-EXT-STS:task_state": None,
    "OS-EXT-STS:vm_state": "error",
    "OS-EXT-STS:power_state": 0,
    "OS-EXT-SRV-ATTR:host": "8286-42A_215A0BV",
    "OS-EXT-SRV-ATTR:instance_name": "vm1-1234abcd-00000001",
    "OS-EXT-AZ:availability_zone": "nova",
    "tenant_id": PROJECT,
    "image": {"id": "img1", "links": []},
    "flavor": {"original_name": "inline", "ram": 4096, "vcpus": 2, "extra_specs": {"a": "b"}},
    "addresses": {
        "cmbnet1": [{"addr": "192.168.100.10", "version": 4, "OS-EXT-IPS:type": "fixed"}]
    },
    "os-extended-volumes:volumes_attached": [{"id": "v1"}, {"id": "v2"}],
    "fault": {"code": 500, "message": "No valid host", "created": "2026-01-01T00:00:00Z"},
    "created": "2026-01-01T00:00:00Z",
    "updated": "2026-01-01T00:01:00Z",
    "metadata": {"k": "v"},
}


def test_server_from_wire() -> None:
    server = Server.from_wire(SERVER)
    assert server.host == "8286-42A_215A0BV"
    assert server.instance_name == "vm1-1234abcd-00000001"
    assert server.image_id == "img1"
    assert server.flavor.name == "inline"
    assert server.flavor.extra_specs == {"a": "b"}
    assert server.ips == ("192.168.100.10",)
    assert server.addresses[0].kind == "fixed"
    assert server.volume_ids == ("v1", "v2")
    assert server.fault is not None
    assert server.fault.message == "No valid host"
    assert server.updated is not None
    assert server.updated.minute == 1
    assert server.raw is SERVER
    data = server.to_dict()
    assert "raw" not in data
    json.dumps(data)  # JSON-ready


def test_server_with_missing_and_odd_fields() -> None:
    server = Server.from_wire({"id": "x", "name": "n", "status": "build", "image": ""})
    assert server.status == "BUILD"
    assert server.image_id is None
    assert server.fault is None
    assert server.state == "BUILD"


def test_template_parses_powervm_specs() -> None:
    body = {
        "id": "f1",
        "name": "powervm.small",
        "ram": 4096,
        "vcpus": 2,
        "disk": 20,
        "swap": "",
        "os-flavor-access:is_public": True,
    }
    specs = {"powervm:max_mem": "8192", "powervm:proc_units": "0.5", "custom:x": "y"}
    template = ComputeTemplate.from_wire(body, specs)
    assert template.powervm is not None
    assert template.powervm.max_memory_mb == 8192
    assert template.powervm.other_specs == (("custom:x", "y"),)
    assert template.swap == 0
    assert template.violations == ()
    json.dumps(template.to_dict())


def test_template_with_broken_specs_keeps_the_violations() -> None:
    body = {"id": "f2", "name": "bad", "ram": 4096, "vcpus": 2}
    template = ComputeTemplate.from_wire(body, {"powervm:max_mem": "2048"})
    assert template.powervm is None
    [violation] = template.violations
    assert violation.field == "ram"


def test_template_overrides_make_an_inline_flavor() -> None:
    template = ComputeTemplate.from_wire(
        {"id": "f", "name": "t", "ram": 4096, "vcpus": 2, "disk": 20},
        {"powervm:max_mem": "8192"},
    )
    flavor = template.with_overrides({"ram": "6144", "powervm:max_mem": "16384"})
    assert flavor == InlineFlavor(6144, 2, 20, {"powervm:max_mem": "16384"})
    assert flavor.check() == []
    assert InlineFlavor(4096, 2, 20, {"powervm:max_mem": "2048"}).check()[0].field == "ram"


def test_other_records() -> None:
    image = Image.from_wire(
        {
            "id": "i",
            "name": "AIX72",
            "status": "active",
            "os_distro": "aix",
            "hypervisor_type": "phyp",
        }
    )
    assert image.properties == {"hypervisor_type": "phyp"}
    network = Network.from_wire(
        {"id": "n", "name": "net", "provider:segmentation_id": 1001, "subnets": ["a"]}
    )
    assert network.segmentation_id == 1001
    assert network.subnet_ids == ("a",)
    subnet = Subnet.from_wire(
        {"id": "s", "name": "", "network_id": "n", "cidr": "10.0.0.0/24",
         "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.9"}]}
    )  # fmt: skip
    assert subnet.allocation_pools == (("10.0.0.2", "10.0.0.9"),)
    port = Port.from_wire(
        {
            "id": "p",
            "name": "",
            "network_id": "n",
            "fixed_ips": [{"subnet_id": "s", "ip_address": "10.0.0.5"}],
        }
    )
    assert port.ips == ("10.0.0.5",)
    volume = Volume.from_wire(
        {"id": "v", "name": "d", "status": "IN-USE", "size": 3, "volume_type": "xiv",
         "multiattach": True, "attachments": [{"server_id": "s1", "device": "/dev/sdb"}]}
    )  # fmt: skip
    assert volume.status == "in-use"
    assert volume.server_ids == ("s1",)
    template = StorageTemplate.from_wire(
        {"id": "t", "name": "xiv", "extra_specs": {"volume_backend_name": "xiv90"}}
    )
    assert template.backend == "xiv90"


def test_powervc_records() -> None:
    host = Host.from_wire(
        {
            "id": 3,
            "hypervisor_hostname": "8286-42A_215A0BV",
            "service": {"host": "8286-42A_215A0BV", "host_display_name": "p8-rack1-host1"},
            "memory_mb": 1024,
            "memory_mb_used": 256,
            "proc_units": "20.00",
            "proc_units_used": 0.5,
        }
    )
    assert host.id == "3"
    assert host.display_name == "p8-rack1-host1"
    assert host.memory_mb_free == 768
    assert str(host.proc_units_used) == "0.5"
    assert "p8-rack1-host1" in host.names()
    group = HostGroup.from_wire(
        {
            "id": 1,
            "name": "g",
            "availability_zone": None,
            "metadata": {"placement_policy": "packing"},
        }
    )
    assert group.zone == "g"
    assert group.placement_policy == "packing"
    rule = CollocationRule.from_wire({"id": "r", "name": "apart", "policies": ["anti-affinity"]})
    assert rule.policy == "anti-affinity"
    scg = StorageConnectivityGroup.from_wire(
        {"id": "c", "display_name": "Any host", "host_list": [{"name": "h1"}, {"name": "h2"}],
         "boot_connectivity": "npiv"}
    )  # fmt: skip
    assert scg.name == "Any host"
    assert scg.hosts == ("h1", "h2")
    assert scg.boot_connectivity == ("npiv",)


# -- requests ---------------------------------------------------------------------------------
def test_server_create_with_template_reference() -> None:
    body = ServerCreate(
        name="vm1",
        image_id="i",
        flavor_id="f",
        networks=(NetworkRequest("n", "10.0.0.5"),),
        block_devices=(BlockDevice("v1"),),
        availability_zone=":host1",
        scheduler_hints={"group": "g"},
        user_data=b"#!/bin/sh\n",
    ).to_wire()
    server = body["server"]
    assert server["flavorRef"] == "f"
    assert server["networks"] == [{"uuid": "n", "fixed_ip": "10.0.0.5"}]
    assert server["block_device_mapping_v2"][0] == {
        "uuid": "v1",
        "source_type": "volume",
        "destination_type": "volume",
        "boot_index": -1,
        "delete_on_termination": False,
    }
    assert server["availability_zone"] == ":host1"
    assert server["user_data"] == "IyEvYmluL3NoCg=="
    assert body["os:scheduler_hints"] == {"group": "g"}


def test_server_create_with_inline_flavor() -> None:
    flavor = InlineFlavor(4096, 2, 20, {"powervm:max_mem": "8192"})
    server = ServerCreate(name="vm", image_id="i", flavor=flavor).to_wire()["server"]
    assert server["flavor"] == {
        "ram": 4096,
        "vcpus": 2,
        "disk": 20,
        "extra_specs": {"powervm:max_mem": "8192"},
    }
    assert "flavorRef" not in server
    assert server["networks"] == "auto"
    with pytest.raises(ValueError, match="either"):
        ServerCreate(name="vm").to_wire()


def test_volume_create() -> None:
    assert VolumeCreate(2, "d", "xiv", multiattach=True).to_wire() == {
        "volume": {"size": 2, "name": "d", "volume_type": "xiv", "multiattach": True}
    }


def test_server_order_checks() -> None:
    with pytest.raises(SdkError, match="host or a host group"):
        ServerOrder("vm", "i", "t", host="h", host_group="g")
    with pytest.raises(SdkError, match="whole number"):
        ServerOrder("vm", "i", "t", overrides={"ram": "lots"})


# -- pages and lookups ------------------------------------------------------------------------
def test_next_query_for_each_envelope() -> None:
    nova = {"servers_links": [{"rel": "next", "href": "http://internal/x?limit=2&marker=abc"}]}
    assert next_query(nova, "servers") == {"limit": "2", "marker": "abc"}
    assert next_query({"next": "/v2/images?marker=m1"}, "images") == {"marker": "m1"}
    assert next_query({"servers": []}, "servers") is None


def test_images_follow_glance_pages() -> None:
    fake = FakeCloud()
    first = {
        "images": [{"id": "1", "name": "a", "status": "active"}],
        "next": "/v2/images?marker=1",
    }
    second = {"images": [{"id": "2", "name": "b", "status": "active"}]}
    fake.route("GET", f"{IMAGE}/v2/images", ok(first))
    fake.route("GET", f"{IMAGE}/v2/images?marker=1", ok(second))
    images = with_cloud(fake, lambda c: c.image.images())
    assert [i.name for i in images] == ["a", "b"]


def test_find_by_id_then_by_name() -> None:
    fake = FakeCloud()
    row = {"id": "1", "name": "AIX72", "status": "active"}
    fake.route("GET", f"{IMAGE}/v2/images/1", ok(row))
    fake.route("GET", f"{IMAGE}/v2/images?name=AIX72", ok({"images": [row]}))
    assert with_cloud(fake, lambda c: c.image.find_image("1")).name == "AIX72"
    assert with_cloud(fake, lambda c: c.image.find_image("AIX72")).id == "1"


def test_ambiguous_name_lists_the_ids() -> None:
    fake = FakeCloud()
    rows = [{"id": "1", "name": "dup", "status": "active"}, {"id": "2", "name": "dup"}]
    fake.route("GET", f"{IMAGE}/v2/images?name=dup", ok({"images": rows}))
    with pytest.raises(AmbiguousName) as caught:
        with_cloud(fake, lambda c: c.image.find_image("dup"))
    assert caught.value.ids == ("1", "2")
    assert "1, 2" in str(caught.value)


def test_not_found_keeps_the_service_404_and_names_what_exists() -> None:
    fake = FakeCloud()
    body = {"itemNotFound": {"code": 404, "message": "Volume type typo could not be found."}}
    fake.route(
        "GET",
        f"{VOLUME}/types/typo",
        httpx.Response(404, json=body, headers={"x-openstack-request-id": "req-1"}),
    )
    fake.route("GET", f"{VOLUME}/types", ok({"volume_types": [{"id": "t1", "name": "xiv"}]}))
    with pytest.raises(NotFound) as caught:
        with_cloud(fake, lambda c: c.volume.find_storage_template("typo"))
    assert "Volume type typo could not be found. (request req-1)" in str(caught.value)
    assert "storage templates: xiv" in (caught.value.hint or "")


def test_host_found_by_display_name() -> None:
    fake = FakeCloud()
    rows = [
        {"id": 1, "hypervisor_hostname": "A_1", "service": {"host_display_name": "rack-a"}},
        {"id": 2, "hypervisor_hostname": "B_2", "service": {"host_display_name": "rack-b"}},
    ]
    fake.route("GET", f"{COMPUTE}/os-hypervisors/detail", ok({"hypervisors": rows}))
    host = with_cloud(fake, lambda c: c.powervc.find_host("rack-b"))
    assert host.name == "B_2"
    with pytest.raises(NameNotFound) as caught:
        with_cloud(fake, lambda c: c.powervc.find_host("rack-z"))
    assert "A_1, B_2" in (caught.value.hint or "")


def test_extra_specs_fetched_when_not_inline() -> None:
    fake = FakeCloud()
    flavor = {"id": "f1", "name": "t", "ram": 2048, "vcpus": 1}
    fake.route("GET", f"{COMPUTE}/flavors/detail?is_public=None", ok({"flavors": [flavor]}))
    fake.route(
        "GET",
        f"{COMPUTE}/flavors/f1/os-extra_specs",
        ok({"extra_specs": {"powervm:max_mem": "4096"}}),
    )
    [template] = with_cloud(fake, lambda c: c.compute.templates())
    assert template.powervm is not None
    assert template.powervm.max_memory_mb == 4096


def test_every_record_is_json_ready() -> None:
    records: list[Any] = [
        Server.from_wire(SERVER),
        Volume.from_wire({"id": "v", "name": "", "status": "available", "size": 1}),
    ]
    for record in records:
        json.dumps(record.to_dict())


def test_public_names_are_the_objects_not_submodules() -> None:
    import importlib
    import types

    import powerbridge.client as client

    for module in ("cloud", "compute", "provisioning", "waiter", "sync", "volume", "powervc"):
        importlib.import_module(f"powerbridge.client.{module}")
    for name in client.__all__:
        assert not isinstance(getattr(client, name), types.ModuleType), name
    assert callable(client.provision)
