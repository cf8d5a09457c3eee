"""Hypothesis strategies for requests to a write endpoint: a body (a valid example mutated, or
arbitrary JSON, or raw bytes), headers (microversions, content types, tokens) and path ids
(real ones from the world's pools, or hostile text).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.fuzz.world import Operation, World

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
        "POST /v3/snapshots": {"snapshot": {"volume_id": spare_volume, "force": True}},
        "PUT /v3/snapshots/{snapshot_id}": {"snapshot": {"name": "fz"}},
        "POST /v3/snapshots/{snapshot_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/snapshots/{snapshot_id}/metadata": {"metadata": {"a": "b"}},
        "PUT /v3/snapshots/{snapshot_id}/metadata/{key}": {"meta": {"k1": "v"}},
        "POST /v3/snapshots/{snapshot_id}/action": {"os-reset_status": {"status": "available"}},
        "POST /clock": {"advance": 1},
        "POST /behaviours": {
            "behaviour": {"kind": "api", "service": "image", "status": 503, "fraction": 0.5}
        },
    }


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


def _similar(value: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as `value` (the likeliest to pass the first checks)."""
    if isinstance(value, bool):
        return st.one_of(st.booleans(), st.sampled_from(["true", "False", "yes", 0, 1]))
    if isinstance(value, int | float):
        return st.one_of(
            st.integers(min_value=-(2**40), max_value=2**40),
            st.sampled_from([0, -1, 1, 2**31, 2**63, 1.5, "10", "x"]),
        )
    if isinstance(value, str):
        return st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "a" * 256, value * 2]))
    if isinstance(value, list):
        return st.lists(JSON_VALUES, max_size=3)
    if isinstance(value, dict):
        return st.dictionaries(st.text(max_size=12), SCALARS, max_size=3)
    return JSON_VALUES


def _value_at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


@st.composite
def mutated(draw: st.DrawFn, template: Any) -> Any:
    """The template with up to three changes: a value swapped for one of its own type (the
    usual case) or for any JSON, a key removed, or a key added."""
    body = copy.deepcopy(template)
    count = draw(weighted((1, st.just(0)), (3, st.just(1)), (2, st.integers(2, 3))))
    for _ in range(count):
        path = draw(st.sampled_from(_paths(body)))
        action = draw(st.sampled_from(["similar"] * 4 + ["replace", "replace", "delete", "add"]))
        if action == "similar":
            value = draw(_similar(_value_at(body, path)))
            action = "replace"
        else:
            value = draw(JSON_VALUES)
        key = draw(st.text(max_size=10))
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


def body_template(operation: Operation, world: World) -> Any:
    key = f"{operation.method} {normalized(operation.path)}"
    known = templates(world)
    if key.endswith("/servers/{server_id}/action"):
        return st.sampled_from(_with_ids(SERVER_ACTIONS, world))
    if key == "POST /v3/volumes/{volume_id}/action":
        return st.sampled_from(VOLUME_ACTIONS)
    if key in known:
        found = known[key]
        # a list of bodies is a list of alternatives (json-patch bodies are lists: one body)
        if (
            isinstance(found, list)
            and found
            and isinstance(found[0], dict)
            and "op" not in found[0]
        ):
            return st.sampled_from(found)
        return st.just(found)
    return st.just({})


def _with_ids(actions: list[Any], world: World) -> list[Any]:
    text = json.dumps(actions)
    text = text.replace('"IMAGE"', json.dumps(world.essentials["image"]))
    text = text.replace('"FLAVOR"', json.dumps(world.essentials["flavor"]))
    loaded: list[Any] = json.loads(text)
    return loaded


def _encoded(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def bodies(operation: Operation, world: World) -> st.SearchStrategy[bytes | None]:
    if operation.method == "DELETE":
        return st.one_of(st.just(None), st.just(None), JSON_VALUES.map(_encoded))
    if operation.path.endswith("/file"):
        return st.binary(max_size=2048)
    valid = body_template(operation, world).flatmap(mutated).map(_encoded)
    junk = st.sampled_from([b"", b"{", b"[1,", b"\xff\xfe", b'{"a": NaN}', b"null", b"1e999"])
    return weighted((8, valid), (1, JSON_VALUES.map(_encoded)), (1, junk))


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, chosen with the given weights (out of their sum)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(min_value=0, max_value=len(table) - 1).flatmap(lambda i: table[i])


def microversion_headers(service: str) -> st.SearchStrategy[dict[str, str]]:
    if service == "compute":
        versions = st.sampled_from(["2.1", "2.2", "2.10", "2.35", "2.36", "2.53", "2.57", "2.60"])
        bad = st.sampled_from(["latest", "2.99", "3.0", "x", "2.", ""])
        return weighted(
            (5, st.just({})),
            (3, versions.map(lambda v: {"OpenStack-API-Version": f"compute {v}"})),
            (1, versions.map(lambda v: {"X-OpenStack-Nova-API-Version": v})),
            (1, bad.map(lambda v: {"OpenStack-API-Version": f"compute {v}"})),
        )
    if service == "volume":
        versions = st.sampled_from(["3.0", "3.1", "3.14", "3.41", "3.45", "3.53", "3.59", "latest"])
        bad = st.sampled_from(["3.99", "2.0", "junk"])
        return weighted(
            (5, st.just({})),
            (4, versions.map(lambda v: {"OpenStack-API-Version": f"volume {v}"})),
            (1, bad.map(lambda v: {"OpenStack-API-Version": f"volume {v}"})),
        )
    return st.just({})


def tokens(world: World) -> st.SearchStrategy[str | None]:
    return weighted(
        (12, st.just(world.admin.token)),
        (3, st.just(world.member.token)),
        (2, st.just(world.reader.token)),
        (1, st.none()),
        (1, st.sampled_from(["", "gAAAAAbogus", "x" * 500])),
    )


def path_values(operation: Operation, world: World) -> st.SearchStrategy[dict[str, str]]:
    fields = {}
    for param in operation.params:
        real = world.pools.get(param, [])
        fields[param] = (
            weighted((4, st.sampled_from(real)), (1, HOSTILE_IDS)) if real else HOSTILE_IDS
        )
    return st.fixed_dictionaries(fields)


def _segment(value: str) -> str:
    """A path value as one URL segment. A bare `.` or `..` is percent-encoded: left as is, the
    HTTP client removes it as a dot segment and the request lands on another endpoint (`..`
    after `/users/{id}/application_credentials/` would DELETE the admin's own user)."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if value in (".", "..") else quoted


@st.composite
def requests(draw: st.DrawFn, operation: Operation, world: World) -> Request:
    values = draw(path_values(operation, world))
    path = operation.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", _segment(value))
    headers = dict(draw(microversion_headers(operation.service)))
    token = draw(tokens(world))
    if token is not None:
        headers["X-Auth-Token"] = token
    if operation.method == "DELETE" and path.endswith("/auth/tokens"):
        header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
        subject = draw(st.one_of(st.just(world.fresh_token()), header_text))
        headers["X-Subject-Token"] = subject
    body = draw(bodies(operation, world))
    content_type = "application/octet-stream" if path.endswith("/file") else "application/json"
    if operation.method == "PATCH" and operation.service == "image":
        content_type = "application/openstack-images-v2.1-json-patch"
    others = st.sampled_from(["text/plain", "application/json; charset=utf-8"])
    headers["Content-Type"] = draw(weighted((9, st.just(content_type)), (1, others)))
    return Request(operation.method, world.url(operation.service, path), headers, body)
