"""Hypothesis strategies for requests to a write endpoint: a body (a valid example mutated, or
arbitrary JSON, or raw bytes), headers (microversions, content types, tokens) and path ids
(real ones from the world's pools, or hostile text).

Every strategy is made once (at import, or once per test in `requests`) and the drawing is
flat: weighted choices are `sampled_from` tables, not `flatmap`s, and no strategy is built
while drawing (a new strategy is validated when first drawn from, which cost more than the
drawing itself).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from powerbridge.emulator.backend.identity_catalog import service_id_of
from tests.fuzz.world import (
    ABSENT_ID,
    METADEF_ITEMS,
    METADEF_NAMESPACE,
    Account,
    Operation,
    World,
)

# -- arbitrary JSON ---------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 0.05, 1e308, -0.0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", " ", "true", "None", "0", "-1", "1.5", "\x00", "ü" * 300, "a" * 256]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=12,
)
HOSTILE_IDS = st.one_of(
    st.uuids().map(str),
    st.text(min_size=1, max_size=40),
    st.sampled_from(["0", "-1", "null", "..", "%", "a" * 300, "ü", " ", "1e3", "[]", "{}"]),
)


# -- valid examples to mutate, by "METHOD path" (project prefixes dropped) ----------------------
def templates(world: World) -> dict[str, Any]:
    if not world.templates:
        world.templates = _templates(world)
    return world.templates


def _templates(world: World) -> dict[str, Any]:
    ids = world.essentials
    spare_volume = world.spare_volume()
    residents = world.emulator.residents
    network = [{"uuid": ids["network"]}]
    servers = [
        {"name": "fz", "imageRef": ids["image"], "flavorRef": ids["flavor"], "networks": network},
        {
            "name": "fz",
            "imageRef": ids["image"],
            "flavorRef": ids["flavor"],
            "networks": [{"uuid": ids["network"], "fixed_ip": "192.168.100.77"}],
            "metadata": {"a": "b"},
            "min_count": 1,
            "max_count": 2,
            "availability_zone": "nova",
            "accessIPv4": "1.2.3.4",
        },
        {
            "name": "fz",
            "flavor": {
                "ram": 4096,
                "vcpus": 2,
                "disk": 20,
                "extra_specs": {"powervm:max_mem": "8192"},
            },
            "networks": network,
            "block_device_mapping_v2": [
                {
                    "boot_index": 0,
                    "uuid": ids["image"],
                    "source_type": "image",
                    "destination_type": "volume",
                    "volume_size": 20,
                    "delete_on_termination": True,
                }
            ],
        },
    ]
    user = {"name": "fz-user", "password": "pw", "default_project_id": world.member.project_id}
    return {
        "POST /v3/auth/tokens": {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": "root", "domain": {"name": "Default"}, "password": "x"}
                    },
                },
                "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
            }
        },
        "POST /v3/projects": {"project": {"name": "fz-project", "description": "d", "tags": ["a"]}},
        "PATCH /v3/projects/{project_id}": {"project": {"name": "fz-renamed", "enabled": True}},
        "POST /v3/users": {"user": user},
        "PATCH /v3/users/{user_id}": {"user": {"name": "fz-renamed", "enabled": True}},
        "POST /v3/roles": {"role": {"name": "fz-role"}},
        "PATCH /v3/roles/{role_id}": {"role": {"name": "fz-renamed", "description": "d"}},
        "POST /v3/users/{user_id}/password": {
            "user": {"original_password": "fz-not-it", "password": "fz-new-pw"}
        },
        "POST /v3/domains": {"domain": {"name": "fz-domain", "description": "d"}},
        "PATCH /v3/domains/{domain_id}": {"domain": {"description": "d", "enabled": True}},
        "POST /v3/groups": {"group": {"name": "fz-group", "description": "d"}},
        "PATCH /v3/groups/{group_id}": {"group": {"name": "fz-renamed"}},
        "PUT /v3/projects/{project_id}/tags": {"tags": ["a", "b"]},
        "POST /v3/credentials": {
            "credential": {"user_id": "fz-user", "type": "cert", "blob": "fz-blob"}
        },
        "PATCH /v3/credentials/{credential_id}": {"credential": {"blob": "fz-other"}},
        "POST /v3/users/{user_id}/credentials/OS-EC2": {"tenant_id": "fz-project"},
        "POST /v3/policies": {"policy": {"blob": "{}", "type": "application/json"}},
        "PATCH /v3/policies/{policy_id}": {"policy": {"blob": "{}"}},
        "POST /v3/regions": {"region": {"id": "fz-region", "description": "d"}},
        "PUT /v3/regions/{region_id}": {"region": {"description": "d"}},
        "PATCH /v3/regions/{region_id}": {"region": {"description": "d2"}},
        "POST /v3/OS-EP-FILTER/endpoint_groups": {
            "endpoint_group": {"name": "fz", "filters": {"interface": "public"}}
        },
        "PATCH /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}": {
            "endpoint_group": {"name": "fz-renamed"}
        },
        "POST /v3/OS-OAUTH1/consumers": {"consumer": {"description": "fz"}},
        "POST /v3/OS-TRUST/trusts": {
            "trust": {
                "trustor_user_id": world.admin.user_id,
                "trustee_user_id": world.admin.user_id,
                "project_id": world.admin.project_id,
                "roles": [{"name": "member"}],
                "impersonation": False,
            }
        },
        "PATCH /v3/OS-OAUTH1/consumers/{consumer_id}": {"consumer": {"description": "fz2"}},
        "PUT /v3/domains/{domain_id}/config": {"config": {"identity": {"driver": "ldap"}}},
        "PATCH /v3/domains/{domain_id}/config": {"config": {"identity": {"driver": "sql"}}},
        "PATCH /v3/domains/{domain_id}/config/{group}": {"config": {"identity": {"driver": "x"}}},
        "PATCH /v3/domains/{domain_id}/config/{group}/{option}": {"config": {"driver": "x"}},
        "POST /v3/services": {"service": {"type": "fz-type", "name": "fz", "enabled": True}},
        "PATCH /v3/services/{service_id}": {"service": {"name": "fz-renamed", "enabled": False}},
        "POST /v3/endpoints": {
            "endpoint": {
                "service_id": service_id_of("nova"),
                "interface": "public",
                "url": "http://fz.example:1/v1/$(project_id)s",
                "region_id": "RegionOne",
            }
        },
        "PATCH /v3/endpoints/{endpoint_id}": {
            "endpoint": {"url": "http://fz.example:2", "interface": "admin", "enabled": False}
        },
        "POST /v3/users/{user_id}/application_credentials": {
            "application_credential": {
                "name": "fz",
                "roles": [{"name": "admin"}],
                "expires_at": None,
            }
        },
        "POST /v2.1/servers": [{"server": server} for server in servers],
        "PUT /v2.1/servers/{server_id}": {"server": {"name": "renamed", "accessIPv4": "1.2.3.4"}},
        "POST /v2.1/servers/{server_id}/action": {"os-stop": None},
        "POST /v2.1/servers/{server_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v2.1/servers/{server_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v2.1/servers/{server_id}/metadata/{key}": {"meta": {"k1": "v"}},
        "POST /v2.1/servers/{server_id}/os-volume_attachments": {
            "volumeAttachment": {"volumeId": spare_volume}
        },
        "PUT /v2.1/servers/{server_id}/os-volume_attachments/{volume_id}": {
            "volumeAttachment": {"volumeId": spare_volume}
        },
        "POST /v2.1/flavors": {
            "flavor": {"name": "fz", "ram": 2048, "vcpus": 1, "disk": 1, "id": None}
        },
        "PUT /v2.1/flavors/{flavor_id}": {"flavor": {"description": "d"}},
        "POST /v2.1/flavors/{flavor_id}/os-extra_specs": {
            "extra_specs": {"powervm:min_mem": "1024", "powervm:max_mem": "4096"}
        },
        "PUT /v2.1/flavors/{flavor_id}/os-extra_specs/{key}": {"k1": "1"},
        "POST /v2.1/os-keypairs": {"keypair": {"name": "fz", "type": "ssh"}},
        "PUT /v2.1/os-quota-sets/{tenant_id}": {"quota_set": {"instances": 20, "force": False}},
        "POST /v2.1/os-aggregates": {"aggregate": {"name": "fz", "availability_zone": "z"}},
        "PUT /v2.1/os-aggregates/{aggregate_id}": {"aggregate": {"name": "fz2"}},
        "POST /v2.1/os-aggregates/{aggregate_id}/action": {
            "set_metadata": {"metadata": {"a": "b"}}
        },
        "POST /v2.1/os-server-groups": {"server_group": {"name": "fz", "policies": ["affinity"]}},
        "POST /v2.1/images/{image_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v2.1/images/{image_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v2.1/images/{image_id}/metadata/{key}": {"meta": {"k1": "v"}},
        "POST /v2/images": {
            "name": "fz",
            "disk_format": "raw",
            "container_format": "bare",
            "tags": ["t"],
        },
        "PATCH /v2/images/{image_id}": [{"op": "replace", "path": "/name", "value": "fz"}],
        "POST /v2/images/{image_id}/members": {"member": world.member.project_id},
        "PUT /v2/images/{image_id}/members/{member_id}": {"status": "accepted"},
        "POST /v2.0/networks": {"network": {"name": "fz", "shared": False, "mtu": 1500}},
        "PUT /v2.0/networks/{resource_id}": {"network": {"name": "fz2"}},
        "POST /v2.0/subnets": {
            "subnet": {"network_id": ids["network"], "cidr": "10.88.0.0/24", "ip_version": 4}
        },
        "PUT /v2.0/subnets/{resource_id}": {"subnet": {"name": "fz2", "enable_dhcp": False}},
        "POST /v2.0/ports": {
            "port": {"network_id": ids["network"], "fixed_ips": [{"ip_address": "192.168.100.99"}]}
        },
        "PUT /v2.0/ports/{resource_id}": {"port": {"name": "fz2"}},
        "PUT /v2.0/{collection}/{resource_id}/tags": {"tags": ["a", "b"]},
        "POST /v3/volumes": {
            "volume": {"size": 1, "volume_type": ids["volume_type"], "metadata": {"a": "b"}}
        },
        "PUT /v3/volumes/{volume_id}": {"volume": {"name": "fz", "description": "d"}},
        "POST /v3/volumes/{volume_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/volumes/{volume_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/volumes/{volume_id}/metadata/{key}": {"meta": {"k1": "v"}},
        "POST /v3/volumes/{volume_id}/action": {"os-extend": {"new_size": 3}},
        "POST /v3/types": {"volume_type": {"name": "fz", "extra_specs": {"a": "b"}}},
        "PUT /v3/types/{type_id}": {"volume_type": {"name": "fz2"}},
        "POST /v3/types/{type_id}/extra_specs": {"extra_specs": {"a": "b"}},
        "PUT /v3/types/{type_id}/extra_specs/{key}": {"k1": "v"},
        "POST /v3/group_types": {"group_type": {"name": "fz", "group_specs": {"a": "b"}}},
        "PUT /v3/group_types/{group_type_id}": {"group_type": {"name": "fz2"}},
        "POST /v3/group_types/{group_type_id}/group_specs": {"group_specs": {"a": "b"}},
        "PUT /v3/group_types/{group_type_id}/group_specs/{key}": {"k1": "v"},
        # cinder's generic volume groups (keystone's groups have the same normalized path)
        "volume POST /v3/groups": {
            "group": {"group_type": "default_grouptype", "volume_types": [ids["volume_type"]]}
        },
        "POST /v3/groups/action": {"create-from-src": {"source_group_id": ABSENT_ID}},
        "PUT /v3/groups/{volume_group_id}": {"group": {"name": "fz2", "description": "d"}},
        "POST /v3/groups/{volume_group_id}/action": {"delete": {"delete-volumes": True}},
        "POST /v3/group_snapshots": {"group_snapshot": {"group_id": ABSENT_ID}},
        "POST /v3/group_snapshots/{group_snapshot_id}/action": {
            "reset_status": {"status": "available"}
        },
        "POST /v3/snapshots": {"snapshot": {"volume_id": spare_volume, "force": True}},
        "PUT /v3/snapshots/{snapshot_id}": {"snapshot": {"name": "fz"}},
        "POST /v3/snapshots/{snapshot_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/snapshots/{snapshot_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/snapshots/{snapshot_id}/metadata/{key}": {"meta": {"k1": "v"}},
        "POST /v3/snapshots/{snapshot_id}/action": {"os-reset_status": {"status": "available"}},
        # PowerVC's onboarding: the default estate's unmanaged LPAR and loose volume
        "POST /v2.1/os-hosts/{host}/onboard": {"servers": sorted(residents.lpars)[:1]},
        "POST /v2.1/os-hosts/{host}/unmanage": {"servers": sorted(residents.lpars)[:1]},
        "POST /v2.1/os-hosts/{host}/ibm-evacuate": {"host": None},
        "POST /v3/os-hosts/{host}/onboard": {"volumes": sorted(residents.volumes)[:1]},
        "POST /v3/os-hosts/{host}/unmanage": {"volumes": [spare_volume]},
        "POST /v2.1/os-volumes": {
            "volume": {"size": 1, "display_name": "fz", "volume_type": ids["volume_type"]}
        },
        "POST /v2.1/os-snapshots": {
            "snapshot": {"volume_id": spare_volume, "force": True, "display_name": "fz"}
        },
        "PUT /v2.1/servers/{server_id}/tags": {"tags": ["a", "b"]},
        "POST /v2.1/flavors/{flavor_id}/action": [
            {"addTenantAccess": {"tenant": world.member.project_id}},
            {"removeTenantAccess": {"tenant": world.member.project_id}},
        ],
        "PUT /v2.1/os-hosts/{host_name}": [{"status": "enable"}, {"maintenance_mode": "disable"}],
        "PUT /v2.1/os-quota-class-sets/{class_id}": {"quota_class_set": {"instances": 50}},
        "PUT /v2.1/os-services/{service_id}": [  # the action's body before 2.53, then the id's
            {"host": sorted(world.emulator.hosts.hosts)[0], "binary": "nova-compute"},
            {"status": "disabled", "disabled_reason": "fz"},
        ],
        **_metadef_templates(),
        **_cinder_admin_templates(world),
        "POST /clock": {"advance": 1},
        "PUT /utilization/{server_id}": {"utilization": {"cpu": 0.5, "memory": 0.25}},
        "POST /behaviours": {
            "behaviour": {"kind": "api", "service": "image", "status": 503, "fraction": 0.5}
        },
    }


def _metadef_templates() -> dict[str, Any]:
    """glance's metadefs; an update names the item it replaces (the world's own names)."""
    ns = "/v2/metadefs/namespaces/{namespace}"
    obj, prop, tag = METADEF_ITEMS["objects"][0], METADEF_ITEMS["properties"][0], "fz-tag"
    return {
        "POST /v2/metadefs/namespaces": {
            "namespace": "fz-created",
            "display_name": "fz",
            "description": "d",
            "visibility": "private",
            "protected": False,
            "resource_type_associations": [{"name": "OS::Nova::Flavor", "prefix": "fz_"}],
        },
        f"PUT {ns}": {"namespace": METADEF_NAMESPACE, "description": "d2", "protected": False},
        f"POST {ns}/objects": {
            "name": "fz-object-2",
            "description": "d",
            "required": [],
            "properties": {"p": {"type": "string", "title": "P"}},
        },
        f"PUT {ns}/objects/{{name}}": {"name": obj, "description": "d2", "properties": {}},
        f"POST {ns}/properties": {"name": "fz_property_2", "title": "P", "type": "integer"},
        f"PUT {ns}/properties/{{name}}": {"name": prop, "title": "P2", "type": "string"},
        f"POST {ns}/resource_types": {"name": "OS::Cinder::Volume", "prefix": "fz_"},
        f"POST {ns}/tags": {"tags": [{"name": "fz-a"}, {"name": "fz-b"}]},
        f"PUT {ns}/tags/{{name}}": {"name": tag},
    }


def _cinder_admin_templates(world: World) -> dict[str, Any]:
    """cinder's administration: QoS specs, quotas, services, type access."""
    volume_host = next(
        h for b, h in world.emulator.volume_services.services() if b != "cinder-scheduler"
    )
    return {
        "POST /v3/qos-specs": {"qos_specs": {"name": "fz-qos", "read_iops_sec": "1000"}},
        "PUT /v3/qos-specs/{qos_id}": {"qos_specs": {"read_iops_sec": "2000"}},
        "PUT /v3/qos-specs/{qos_id}/delete_keys": {"keys": ["read_iops_sec"]},
        "PUT /v3/os-quota-sets/{target_project_id}": {"quota_set": {"volumes": 20}},
        "PUT /v3/os-quota-class-sets/{class_name}": {"quota_class_set": {"volumes": 20}},
        "PUT /v3/os-services/{action}": [
            {"host": volume_host, "binary": "cinder-volume"},
            {"host": volume_host, "binary": "cinder-volume", "disabled_reason": "fz"},
        ],
        "POST /v3/types/{type_id}/action": [
            {"addProjectAccess": {"project": world.member.project_id}},
            {"removeProjectAccess": {"project": world.member.project_id}},
        ],
    }


def _made_on_demand(key: str, world: World) -> list[Any] | None:
    """Templates naming a resource made for them alone, made only when their route is fuzzed:
    a server for nova's external events, a volume to offer for transfer, the auth key of the
    world's transfer (made by `ensure`, before the templates)."""
    if key == "POST /v2.1/os-server-external-events":
        event = {"name": "network-changed", "server_uuid": world.spare_server(), "tag": "fz"}
        return [{"events": [event]}]
    if key in ("POST /v3/os-volume-transfer", "POST /v3/volume-transfers"):
        offered = {"volume_id": world.spare_volume("transfer"), "name": "fz"}
        if key.endswith("volume-transfers"):
            offered["no_snapshots"] = True
        return [{"transfer": offered}]
    if key.endswith("/{transfer_id}/accept"):
        return [{"accept": {"auth_key": world.essentials.get("transfer_key", "0" * 16)}}]
    return None


# nova server actions and cinder volume actions: one of these bodies, then mutated
SERVER_ACTIONS: list[Any] = [
    {"os-start": None},
    {"os-stop": None},
    {"reboot": {"type": "HARD"}},
    {"lock": None},
    {"unlock": None},
    {"rebuild": {"imageRef": "IMAGE", "name": "x"}},
    {"createImage": {"name": "snap", "metadata": {}}},
    {"resize": {"flavorRef": "FLAVOR"}},
    {"confirmResize": None},
    {"revertResize": None},
    {"migrate": None},
    {"os-migrateLive": {"host": None, "block_migration": "auto"}},
    {"os-resetState": {"state": "error"}},
    {"bulkVolumeAttach": {"volumeAttachment": [{"volumeId": "nope"}]}},
    {"bulkVolumeDetach": {"volume_ids": ["nope"]}},
    {"evacuate": {"host": None}},
    {"clone-vm": {"server": {"name": "fz-clone", "networks": [{"uuid": "NETWORK"}]}}},
    {"vm-snapshot": {"name": "fz-snap", "description": "d"}},
]
VOLUME_ACTIONS: list[Any] = [
    {"os-extend": {"new_size": 5}},
    {"os-reset_status": {"status": "available"}},
    {"os-set_bootable": {"bootable": True}},
    {"os-update_readonly_flag": {"readonly": True}},
    {"os-volume_upload_image": {"image_name": "up", "disk_format": "raw"}},
    {"os-reserve": {}},
    {"os-unreserve": {}},
    {"os-begin_detaching": {}},
    {"os-roll_detaching": {}},
]


def normalized(path: str) -> str:
    """The template key of a path: project prefixes dropped, neutron collections generic for
    tags."""
    path = path.replace("/v2.1/{project_id}", "/v2.1").replace("/v3/{project_id}", "/v3")
    if path.startswith("/v2.0/") and "/tags" in path and path.count("/") == 4:
        return "/v2.0/{collection}/{resource_id}/tags"
    return path


# -- mutation -----------------------------------------------------------------------------------
def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _apply(body: Any, path: tuple[Any, ...], action: str, value: Any, key: str) -> Any:
    if not path:
        return value if action == "replace" else body
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    return body


# Values of the same JSON type as the one replaced (the likeliest to pass the first checks).
# Built once: a strategy made per draw is validated per draw, most of the old drawing time.
_DOUBLED = object()  # stands for the replaced string twice over
_SIMILAR_BOOL = st.one_of(st.booleans(), st.sampled_from(["true", "False", "yes", 0, 1]))
_SIMILAR_NUMBER = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 1.5, "10", "x"]),
)
_SIMILAR_TEXT = st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "a" * 256, _DOUBLED]))
_SIMILAR_LIST = st.lists(JSON_VALUES, max_size=3)
_SIMILAR_DICT = st.dictionaries(st.text(max_size=12), SCALARS, max_size=3)


def _similar(draw: st.DrawFn, value: Any) -> Any:
    if isinstance(value, bool):
        return draw(_SIMILAR_BOOL)
    if isinstance(value, int | float):
        return draw(_SIMILAR_NUMBER)
    if isinstance(value, str):
        drawn = draw(_SIMILAR_TEXT)
        return value * 2 if drawn is _DOUBLED else drawn
    if isinstance(value, list):
        return draw(_SIMILAR_LIST)
    if isinstance(value, dict):
        return draw(_SIMILAR_DICT)
    return draw(JSON_VALUES)


def _value_at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


@functools.cache
def _index(size: int) -> st.SearchStrategy[int]:
    """An index into a sequence of `size` items (what `sampled_from` draws), built once."""
    return st.integers(min_value=0, max_value=size - 1)


# how many changes: 0 (1 in 6), 1 (3 in 6), 2 or 3 (1 in 6 each)
_CHANGE_COUNTS = st.sampled_from([0, 1, 1, 1, 2, 3])
_ACTIONS = st.sampled_from(["similar"] * 4 + ["replace", "replace", "delete", "add"])
_KEYS = st.text(max_size=10)


def mutate(draw: st.DrawFn, body: Any) -> Any:
    """`body` (a fresh copy, changed in place) with up to three changes: a value swapped for
    one of its own type (the usual case) or for any JSON, a key removed, or a key added."""
    for _ in range(draw(_CHANGE_COUNTS)):
        paths = _paths(body)
        path = paths[draw(_index(len(paths)))]
        action = draw(_ACTIONS)
        value: Any = None
        key = ""
        if action == "similar":
            value = _similar(draw, _value_at(body, path))
            action = "replace"
        elif action != "delete":  # a deletion takes no value
            value = draw(JSON_VALUES)
        if action == "add" and path and isinstance(_value_at(body, path), dict):
            key = draw(_KEYS)  # only an addition to an object takes a key
        body = _apply(body, path, action, value, key)
    return body


# -- requests -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    def wire_headers(self) -> dict[str, bytes]:
        """Header values as bytes: HTTP carries latin-1, not just ASCII."""
        return {name: value.encode("latin-1") for name, value in self.headers.items()}

    def describe(self) -> str:
        shown = (self.body or b"")[:400]
        return f"{self.method} {self.url} headers={self.headers} body={shown!r}"


def body_templates(operation: Operation, world: World) -> list[Any]:
    """The valid bodies a request body is mutated from (one drawn per example)."""
    key = f"{operation.method} {normalized(operation.path)}"
    known = templates(world)  # made first for every write, as it makes the spare volume
    if key.endswith("/servers/{server_id}/action"):
        return _with_ids(SERVER_ACTIONS, world)
    if key == "POST /v3/volumes/{volume_id}/action":
        return list(VOLUME_ACTIONS)
    on_demand = _made_on_demand(key, world)
    if on_demand is not None:
        return on_demand
    if operation.service == "volume" and f"volume {key}" in known:
        return [known[f"volume {key}"]]
    if key in known:
        found = known[key]
        # a list of bodies is a list of alternatives (json-patch bodies are lists: one body)
        if (
            isinstance(found, list)
            and found
            and isinstance(found[0], dict)
            and "op" not in found[0]
        ):
            return list(found)
        return [found]
    return [{}]


def _with_ids(actions: list[Any], world: World) -> list[Any]:
    text = json.dumps(actions)
    text = text.replace('"IMAGE"', json.dumps(world.essentials["image"]))
    text = text.replace('"FLAVOR"', json.dumps(world.essentials["flavor"]))
    text = text.replace('"NETWORK"', json.dumps(world.essentials["network"]))
    loaded: list[Any] = json.loads(text)
    return loaded


def _encoded(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


JUNK_BODIES = st.sampled_from([b"", b"{", b"[1,", b"\xff\xfe", b'{"a": NaN}', b"null", b"1e999"])
FILE_BODIES = st.binary(max_size=2048)
# a DELETE: no body (2 in 3) or any JSON; a write: a mutated valid body (8 in 10), any JSON
# (1 in 10) or junk bytes (1 in 10)
_DELETE_BODY_KINDS = st.sampled_from([None, None, "json"])
_BODY_KINDS = st.sampled_from(["valid"] * 8 + ["json", "junk"])


def body_drawer(operation: Operation, world: World) -> Callable[[st.DrawFn], bytes | None]:
    """How one example's body is drawn, everything the drawing needs made beforehand."""
    if operation.method == "DELETE":

        def delete_body(draw: st.DrawFn) -> bytes | None:
            kind = draw(_DELETE_BODY_KINDS)
            return None if kind is None else _encoded(draw(JSON_VALUES))

        return delete_body
    if operation.path.endswith("/file"):
        return lambda draw: draw(FILE_BODIES)
    # each template as JSON text: json.loads is a much cheaper deep copy than copy.deepcopy
    texts = [json.dumps(template) for template in body_templates(operation, world)]
    choose = _index(len(texts))

    def write_body(draw: st.DrawFn) -> bytes | None:
        kind = draw(_BODY_KINDS)
        if kind == "json":
            return _encoded(draw(JSON_VALUES))
        if kind == "junk":
            return draw(JUNK_BODIES)
        text = texts[draw(choose)] if len(texts) > 1 else texts[0]
        return _encoded(mutate(draw, json.loads(text)))

    return write_body


# microversion headers per service: (header, value prefix, versions) or None for no header,
# each as often as it appears
_COMPUTE_VERSIONS = st.sampled_from(["2.1", "2.2", "2.10", "2.35", "2.36", "2.53", "2.57", "2.60"])
_COMPUTE_BAD = st.sampled_from(["latest", "2.99", "3.0", "x", "2.", ""])
_VOLUME_VERSIONS = st.sampled_from(["3.0", "3.1", "3.14", "3.41", "3.45", "3.53", "3.59", "latest"])
_VOLUME_BAD = st.sampled_from(["3.99", "2.0", "junk"])
_Microversion = tuple[str, str, st.SearchStrategy[str]] | None
MICROVERSIONS: dict[str, st.SearchStrategy[_Microversion]] = {
    "compute": st.sampled_from(
        [None] * 5
        + [("OpenStack-API-Version", "compute ", _COMPUTE_VERSIONS)] * 3
        + [("X-OpenStack-Nova-API-Version", "", _COMPUTE_VERSIONS)]
        + [("OpenStack-API-Version", "compute ", _COMPUTE_BAD)]
    ),
    "volume": st.sampled_from(
        [None] * 5
        + [("OpenStack-API-Version", "volume ", _VOLUME_VERSIONS)] * 4
        + [("OpenStack-API-Version", "volume ", _VOLUME_BAD)]
    ),
}

# whose token: the admin's (12 in 19), the member's (3), the reader's (2), none (1), bogus (1)
_TOKEN_KINDS = st.sampled_from(["admin"] * 12 + ["member"] * 3 + ["reader"] * 2 + [None, "bogus"])
_BOGUS_TOKENS = st.sampled_from(["", "gAAAAAbogus", "x" * 500])
_SUBJECT_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
_REAL_ID = st.sampled_from([True] * 4 + [False])  # a path value: real 4 in 5, else hostile


def _token(draw: st.DrawFn, world: World) -> str | None:
    kind = draw(_TOKEN_KINDS)
    if kind == "bogus":
        return draw(_BOGUS_TOKENS)
    if kind is None:
        return None
    account: Account = getattr(world, kind)
    return account.token


def _path_value(draw: st.DrawFn, world: World, param: str) -> str:
    """A real id from the world's pool for `param` (read when drawn: `ensure` renews it), or
    hostile text."""
    real = world.pools.get(param)
    if real and draw(_REAL_ID):
        return real[draw(_index(len(real)))] if len(real) > 1 else real[0]
    return draw(HOSTILE_IDS)


def _segment(value: str) -> str:
    """A path value as one URL segment. A bare `.` or `..` is percent-encoded: left as is, the
    HTTP client removes it as a dot segment and the request lands on another endpoint (`..`
    after `/users/{id}/application_credentials/` would DELETE the admin's own user)."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if value in (".", "..") else quoted


def requests(operation: Operation, world: World) -> st.SearchStrategy[Request]:
    """Requests to `operation`. Every part that does not change from one example to the next
    is made here, once per test; the composite only draws."""
    method, service, params = operation.method, operation.service, operation.params
    microversions = MICROVERSIONS.get(service)
    revokes_token = method == "DELETE" and operation.path.endswith("/auth/tokens")
    draw_body = body_drawer(operation, world)
    content_type = "application/json"
    if operation.path.endswith("/file"):
        content_type = "application/octet-stream"
    if method == "PATCH" and service == "image":
        content_type = "application/openstack-images-v2.1-json-patch"
    # the expected content type 9 in 10, else one of two others
    content_types = st.sampled_from(
        [content_type] * 18 + ["text/plain", "application/json; charset=utf-8"]
    )

    @st.composite
    def request(draw: st.DrawFn) -> Request:
        path = operation.path
        for param in params:
            path = path.replace("{" + param + "}", _segment(_path_value(draw, world, param)))
        headers: dict[str, str] = {}
        if microversions is not None:
            microversion = draw(microversions)
            if microversion is not None:
                header, prefix, versions = microversion
                headers[header] = prefix + draw(versions)
        token = _token(draw, world)
        if token is not None:
            headers["X-Auth-Token"] = token
        if revokes_token:  # a fresh admin token of its own (1 in 2), else any header text
            fresh = draw(st.booleans())
            headers["X-Subject-Token"] = world.fresh_token() if fresh else draw(_SUBJECT_TEXT)
        body = draw_body(draw)
        headers["Content-Type"] = draw(content_types)
        return Request(method, world.url(service, path), headers, body)

    return request()
