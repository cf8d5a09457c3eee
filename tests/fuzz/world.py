"""The world a fuzzed operation runs in: one in-memory emulator, its app, the accounts, pools of
real resource ids per path parameter, and the checks every response and the state must pass.

Requests go straight to the ASGI app through httpx (`AppClient`), in the one event loop of the
test module: no server, and no thread hand-off per request as starlette's TestClient does.

Targets for destructive calls are resources the world creates for the fuzzer (`ensure`), never
the estate's essentials (root, its project, the built-in roles, the boot image, flavor and
network), so a run keeps its footing: a deleted target is simply re-created before the next
example.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from powerbridge.emulator.api.routing import RouteTable
from powerbridge.emulator.app import create_app, service_routes
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import Estate, load_estate
from powerbridge.emulator.state import PROXY_PREFIX, Emulator

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NOVA_FAULTS = {
    "badRequest",
    "unauthorized",
    "forbidden",
    "itemNotFound",
    "badMethod",
    "conflictingRequest",
    "overLimit",
    "badMediaType",
    "notImplemented",
    "serviceUnavailable",
    "computeFault",
}
# nova's 501 where the PowerVM driver implements nothing: host status and maintenance mode
# (PowerVC's own hypervisor_maintenance API does that), after nova's schema, policy and host
# checks. Not an error of the emulator's: the fuzzer accepts it there, in nova's envelope.
NOT_IMPLEMENTED = frozenset({"compute PUT /v2.1/{project_id}/os-hosts/{host_name}"})
EMULATOR_PREFIX = "/powervc/emulator/v1"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ABSENT_ID = "00000000-0000-4000-8000-000000000000"  # stands for a target that could not be made
# glance's metadefs: the namespace the fuzzer aims at (re-made by `ensure`) and its items
METADEF_NAMESPACE = "fz-namespace"
METADEF_ITEMS = {
    "objects": ["fz-object"],
    "properties": ["fz_property"],
    "tags": ["fz-tag", "fz-tag-new"],  # the second not yet a tag (a create's target)
    "resource_types": ["OS::Glance::Image"],
}


@dataclass(frozen=True)
class Operation:
    """One write endpoint: `path` as registered, with any project id placeholder kept."""

    service: str
    method: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


GROUP_VERSION = "volume 3.20"  # cinder's groups and group snapshots, reset actions included


def write_operations() -> list[Operation]:
    """Every write route of every service, once (compute and volume list each path under two
    prefixes; the project-scoped one is kept, cinder's v2 twin is dropped)."""
    from powerbridge.emulator.api import admin

    tables: dict[str, RouteTable] = {**service_routes(), "emulator": admin.routes}
    found: dict[str, Operation] = {}
    for service, table in tables.items():
        for spec in table.endpoints:
            if spec.method not in WRITE_METHODS:
                continue
            if service == "compute" and "{project_id}" not in spec.path:
                continue
            if service == "volume" and spec.path.startswith("/v2/"):
                continue
            operation = Operation(service, spec.method, spec.path)
            found.setdefault(operation.id, operation)
    return sorted(found.values(), key=lambda o: o.id)


class AppClient:
    """A synchronous client of one ASGI app: httpx builds each request and reads the response
    (as TestClient does, redirects followed, app exceptions raised), the app runs in `runner`'s
    event loop, in this thread."""

    def __init__(self, app: ASGIApp, runner: asyncio.Runner) -> None:
        self.app = app
        self._runner = runner
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://fuzz",
            follow_redirects=True,
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._runner.run(self._client.request(method, url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def close(self) -> None:
        self._runner.run(self._client.aclose())


@functools.cache
def _packaged_estate() -> Estate:
    """The packaged default estate, parsed once (its YAML was about half of an emulator's start);
    each world gets its own deep copy of it."""
    return load_estate(None)


@dataclass
class Account:
    user_id: str
    project_id: str
    token: str


@dataclass
class World:
    emulator: Emulator
    client: AppClient
    admin: Account
    member: Account
    reader: Account
    essentials: dict[str, str] = field(default_factory=dict)
    pools: dict[str, list[str]] = field(default_factory=dict)
    templates: dict[str, Any] = field(default_factory=dict)
    _logs: tempfile.TemporaryDirectory[str] | None = None

    # -- building -----------------------------------------------------------------------------
    @classmethod
    def create(cls, runner: asyncio.Runner) -> World:
        """A fresh emulator (the default estate, in memory), its app served in `runner`'s loop."""
        logs = tempfile.TemporaryDirectory(prefix="fuzz-logs-")
        config = EmulatorConfig(data_dir=None, log_dir=Path(logs.name))
        emulator = Emulator(config, copy.deepcopy(_packaged_estate()))
        client = AppClient(create_app(emulator), runner)
        admin = _login(client, "root", "passw0rd", "ibm-default")
        world = cls(emulator, client, admin, admin, admin, _logs=logs)
        world.member = world._account("fuzz-member", "member")
        world.reader = world._account("fuzz-reader", "reader")
        world._find_essentials()
        return world

    def close(self) -> None:
        self.client.close()
        self.emulator.close()
        if self._logs is not None:
            self._logs.cleanup()

    def _account(self, name: str, role: str) -> Account:
        project = self.call("POST", "identity", "/v3/projects", {"project": {"name": "fuzz"}})
        if project.status_code == 409:
            found = self.call("GET", "identity", "/v3/projects?name=fuzz").json()["projects"]
            project_id = found[0]["id"]
        else:
            project_id = project.json()["project"]["id"]
        body = {"user": {"name": name, "password": "fuzz-pw"}}
        user_id = self.call("POST", "identity", "/v3/users", body).json()["user"]["id"]
        role_id = self._role_id(role)
        self.call("PUT", "identity", f"/v3/projects/{project_id}/users/{user_id}/roles/{role_id}")
        return _login(self.client, name, "fuzz-pw", "fuzz")

    def _role_id(self, name: str) -> str:
        roles = self.call("GET", "identity", f"/v3/roles?name={name}").json()["roles"]
        return str(roles[0]["id"])

    def _find_essentials(self) -> None:
        def first(service: str, path: str, key: str, name: str) -> str:
            rows = self.call("GET", service, path).json()[key]
            return str(next(row["id"] for row in rows if row["name"] == name))

        self.essentials = {
            "image": first("image", "/v2/images", "images", "PowerHA713"),
            "flavor": first("compute", "/v2.1/flavors", "flavors", "powervm.small"),
            "network": first("network", "/v2.0/networks", "networks", "cmbnet1"),
            "volume_type": "xiv90 base template",
        }

    # -- talking to it ------------------------------------------------------------------------
    def url(self, service: str, path: str) -> str:
        if service == "emulator":
            return EMULATOR_PREFIX + path
        return f"{PROXY_PREFIX}/{service}{path}"

    def call(
        self,
        method: str,
        service: str,
        path: str,
        body: Any = None,
        token: str | None = None,
    ) -> Any:
        headers = {"X-Auth-Token": token or self.admin.token}
        return self.client.request(method, self.url(service, path), json=body, headers=headers)

    # -- resources the fuzzer may aim at ------------------------------------------------------
    def ensure(self, operation: Operation) -> None:
        """(Re-)create what the operation's path parameters may name. A target that could not
        be made is an absent id in its place: the pools keep their shape from one example to
        the next, as hypothesis requires of a strategy (a pool that shrank or emptied would
        make it draw differently: FlakyStrategyDefinition)."""
        self.pools = {}
        for param in operation.params:
            self.pools[param] = [value or ABSENT_ID for value in self._pool(operation, param)]

    def _pool(self, operation: Operation, param: str) -> list[str | None]:
        path = operation.path
        if param == "project_id" and operation.service in ("compute", "volume"):
            return [self.admin.project_id]
        if param == "resource_id":
            kind = path.split("/")[2]  # networks, subnets or ports
            return [self._network_resource(kind)]
        if param == "user_id" and "application_credentials" in path:
            return [self.admin.user_id]
        if param == "key":
            return ["k1", "powervm:min_mem", "drivers:thin", "readonly"]
        if param == "tag":
            return ["t1", "red"]
        if param == "host" and operation.service == "volume":  # cinder's: storage providers
            return sorted(self.emulator.volumes.providers)
        if param in ("host", "host_name"):
            return sorted(self.emulator.hosts.hosts)
        if param == "server_id" and "/tags" in path:
            return [self._tagged_server()]
        if param in ("class_id", "class_name"):  # quota classes: nova and cinder know one
            return ["default"]
        if param == "target_project_id":
            return [self.member.project_id, self.admin.project_id]
        if param == "name" and "/metadefs/" in path:
            return list(METADEF_ITEMS[path.rsplit("/", 2)[-2]])
        if param == "service_id" and operation.service == "compute":
            # before 2.53 the segment is an action (host and binary in the body), then an id
            return ["enable", "disable", "force-down", self._compute_service()]
        if param == "action" and "/os-services/" in path:  # cinder's os-services
            return ["enable", "disable", "disable-log-reason", "freeze", "thaw"]
        if path.endswith(("/flavors/{flavor_id}/action", "/types/{type_id}/action")):
            return [self._private_template(param)]  # access lists: private templates only
        if param in ("tenant_id", "member_id"):
            return [self.member.project_id, self.admin.project_id]
        if param == "volume_id" and "os-volume_attachments" in path:
            return [self._attached_volume(self.pools.get("server_id", []))]
        maker = self._makers().get(param)
        return [maker()] if maker else []

    def _makers(self) -> dict[str, Callable[[], str | None]]:
        return {
            "project_id": lambda: self._created("identity", "/v3/projects", "project"),
            "user_id": lambda: self._created("identity", "/v3/users", "user"),
            "role_id": lambda: self._created("identity", "/v3/roles", "role"),
            "service_id": lambda: self._created(
                "identity", "/v3/services", "service", {"type": "fz-type", "name": _name()}
            ),
            "endpoint_id": self._endpoint,
            "trust_id": self._trust,
            "cred_id": self._app_cred,
            "server_id": self._server,
            "flavor_id": self._flavor,
            "name": self._keypair,
            "image_id": self._image,
            "volume_id": self._volume,
            "snapshot_id": self._snapshot,
            "type_id": self._volume_type,
            "aggregate_id": lambda: self._created(
                "compute", "/v2.1/os-aggregates", "aggregate", {"name": _name()}
            ),
            "group_id": lambda: self._created(
                "compute",
                "/v2.1/os-server-groups",
                "server_group",
                {"name": _name(), "policies": ["anti-affinity"]},
            ),
            "scg_id": lambda: None,
            "group_type_id": self._group_type,
            "volume_group_id": self._volume_group,
            "group_snapshot_id": self._group_snapshot,
            "behaviour_id": self._behaviour,
            "namespace": self._namespace,
            "transfer_id": self._transfer,
            "qos_id": lambda: self._created(
                "volume",
                self._volume_path("qos-specs"),
                "qos_specs",
                {"name": _name(), "read_iops_sec": "1000"},
            ),
            "instance_snapshot_id": self._instance_snapshot,
        }

    def _created(
        self, service: str, path: str, key: str, spec: dict[str, Any] | None = None
    ) -> str | None:
        response = self.call("POST", service, path, {key: spec or {"name": _name()}})
        if response.status_code >= 300:
            return None
        return str(response.json()[key]["id"])

    def _endpoint(self) -> str | None:
        service_id = self._makers()["service_id"]()
        spec = {"service_id": service_id, "interface": "public", "url": "http://fz.example:1"}
        return self._created("identity", "/v3/endpoints", "endpoint", spec)

    def _trust(self) -> str | None:
        """A trust of the admin's (trustor and trustee: a delegation to itself)."""
        spec = {
            "trustor_user_id": self.admin.user_id,
            "trustee_user_id": self.admin.user_id,
            "project_id": self.admin.project_id,
            "roles": [{"name": "member"}],
        }
        return self._created("identity", "/v3/OS-TRUST/trusts", "trust", spec)

    def _app_cred(self) -> str | None:
        path = f"/v3/users/{self.admin.user_id}/application_credentials"
        return self._created("identity", path, "application_credential")

    def _server(self) -> str | None:
        spec = {
            "name": _name(),
            "imageRef": self.essentials["image"],
            "flavorRef": self.essentials["flavor"],
            "networks": [{"uuid": self.essentials["network"]}],
        }
        return self._created("compute", "/v2.1/servers", "server", spec)

    def _flavor(self) -> str | None:
        spec = {"name": _name(), "ram": 1024, "vcpus": 1, "disk": 1}
        return self._created("compute", "/v2.1/flavors", "flavor", spec)

    def _keypair(self) -> str | None:
        name = _name()
        key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPu6ABt2uCXgbTHYqOYcvZSYyDgmVIYpvBQMa6nSVZ0d fz"
        body = {"keypair": {"name": name, "public_key": key}}
        response = self.call("POST", "compute", "/v2.1/os-keypairs", body)
        return name if response.status_code < 300 else None

    def _image(self) -> str | None:
        """An active image of the fuzzer's (created, then its data uploaded)."""
        spec = {"name": _name(), "disk_format": "raw", "container_format": "bare"}
        response = self.call("POST", "image", "/v2/images", spec)
        if response.status_code >= 300:
            return None
        image_id = str(response.json()["id"])
        headers = {"X-Auth-Token": self.admin.token, "Content-Type": "application/octet-stream"}
        url = self.url("image", f"/v2/images/{image_id}/file")
        self.client.put(url, content=b"fuzz image data", headers=headers)
        return image_id

    def spare_volume(self, purpose: str = "spare") -> str:
        """A volume request bodies may name (attachments, snapshots; a transfer's offer has
        one of its own, as an offered volume takes no other), made once per purpose."""
        key = f"{purpose}_volume"
        if key not in self.essentials:
            volume = self._volume() or str(uuid.uuid4())
            self.call("GET", "volume", self._volume_path(f"volumes/{volume}"))
            self.essentials[key] = volume
        return self.essentials[key]

    def spare_server(self) -> str:
        """A server request bodies may name (nova's external events), made once."""
        if "spare_server" not in self.essentials:
            self.essentials["spare_server"] = self._server() or str(uuid.uuid4())
        return self.essentials["spare_server"]

    def _volume_path(self, collection: str) -> str:
        return f"/v3/{self.admin.project_id}/{collection}"

    def _attached_volume(self, servers: list[str]) -> str | None:
        volume = self._volume()
        self.call("GET", "volume", self._volume_path(f"volumes/{volume}"))  # create finishes
        for server in servers:
            body = {"volumeAttachment": {"volumeId": volume}}
            self.call("POST", "compute", f"/v2.1/servers/{server}/os-volume_attachments", body)
        return volume

    def _volume(self) -> str | None:
        spec = {"size": 1, "volume_type": self.essentials["volume_type"], "name": _name()}
        return self._created("volume", self._volume_path("volumes"), "volume", spec)

    def _snapshot(self) -> str | None:
        volume = self._volume()
        self.call("GET", "volume", self._volume_path(f"volumes/{volume}"))  # create finishes
        spec = {"volume_id": volume, "name": _name()}
        return self._created("volume", self._volume_path("snapshots"), "snapshot", spec)

    def _volume_type(self) -> str | None:
        return self._created("volume", self._volume_path("types"), "volume_type")

    def _group_call(self, path: str, key: str, spec: dict[str, Any]) -> str | None:
        """A POST to cinder's generic volume groups, which answer from microversion 3.11/3.14."""
        headers = {"X-Auth-Token": self.admin.token, "OpenStack-API-Version": GROUP_VERSION}
        url = self.url("volume", self._volume_path(path))
        response = self.client.request("POST", url, json={key: spec}, headers=headers)
        return str(response.json()[key]["id"]) if response.status_code < 300 else None

    def _group_type(self) -> str | None:
        return self._group_call("group_types", "group_type", {"name": _name()})

    def _volume_group(self) -> str | None:
        spec = {"group_type": "default_grouptype", "volume_types": [self.essentials["volume_type"]]}
        return self._group_call("groups", "group", spec)

    def _group_snapshot(self) -> str | None:
        group = self._volume_group()
        return self._group_call("group_snapshots", "group_snapshot", {"group_id": group})

    def _network_resource(self, kind: str) -> str:
        network = self._created("network", "/v2.0/networks", "network") or ""
        if kind == "networks":
            return network
        subnet_spec = {"network_id": network, "cidr": "10.99.0.0/24", "ip_version": 4}
        subnet = self._created("network", "/v2.0/subnets", "subnet", subnet_spec) or ""
        if kind == "subnets":
            return subnet
        return self._created("network", "/v2.0/ports", "port", {"network_id": network}) or ""

    def _tagged_server(self) -> str | None:
        """A server with the tags the `tag` pool names (nova's tags start at 2.26)."""
        server = self._server()
        if server is not None:
            url = self.url("compute", f"/v2.1/servers/{server}/tags")
            headers = {"X-Auth-Token": self.admin.token, "OpenStack-API-Version": "compute 2.26"}
            self.client.put(url, json={"tags": ["t1", "red"]}, headers=headers)
        return server

    def _compute_service(self) -> str:
        services = self.emulator.compute_services.all({})
        return next(s.uuid for s in services if s.binary == "nova-compute")

    def _private_template(self, param: str) -> str | None:
        """A compute template (flavor) or storage template (volume type) only some projects
        see: what the access actions change."""
        if param == "flavor_id":
            spec: dict[str, Any] = {"name": _name(), "ram": 1024, "vcpus": 1, "disk": 1}
            spec["os-flavor-access:is_public"] = False
            return self._created("compute", "/v2.1/flavors", "flavor", spec)
        spec = {"name": _name(), "os-volume-type-access:is_public": False}
        return self._created("volume", self._volume_path("types"), "volume_type", spec)

    def _namespace(self) -> str | None:
        """The fuzzer's private metadef namespace, made anew with one item of each kind (an
        earlier example may have changed, protected or deleted it)."""
        base = f"/v2/metadefs/namespaces/{METADEF_NAMESPACE}"
        self.call("PUT", "image", base, {"namespace": METADEF_NAMESPACE, "protected": False})
        self.call("DELETE", "image", base)
        spec = {
            "namespace": METADEF_NAMESPACE,
            "visibility": "private",
            "resource_type_associations": [{"name": METADEF_ITEMS["resource_types"][0]}],
        }
        if self.call("POST", "image", "/v2/metadefs/namespaces", spec).status_code != 201:
            return None
        self.call("POST", "image", f"{base}/objects", {"name": METADEF_ITEMS["objects"][0]})
        prop = {"name": METADEF_ITEMS["properties"][0], "title": "P", "type": "string"}
        self.call("POST", "image", f"{base}/properties", prop)
        self.call("POST", "image", f"{base}/tags/{METADEF_ITEMS['tags'][0]}")
        return METADEF_NAMESPACE

    def _transfer(self) -> str | None:
        """A transfer of a new volume of the admin's; its auth key kept for accept bodies."""
        volume = self._volume()
        self.call("GET", "volume", self._volume_path(f"volumes/{volume}"))  # create finishes
        body = {"transfer": {"volume_id": volume, "name": _name()}}
        response = self.call("POST", "volume", self._volume_path("os-volume-transfer"), body)
        if response.status_code >= 300:
            return None
        made = response.json()["transfer"]
        self.essentials["transfer_key"] = made["auth_key"]
        return str(made["id"])

    def _instance_snapshot(self) -> str | None:
        """PowerVC's snapshot of a VM's volumes (its vm-snapshot action), of one server with a
        volume made once (a deleted instance snapshot leaves both)."""
        if "snapshot_server" not in self.essentials:
            server = self._server()
            if server is None:
                return None
            self._attached_volume([server])
            self.essentials["snapshot_server"] = server
        server = self.essentials["snapshot_server"]
        body = {"vm-snapshot": {"name": _name()}}
        response = self.call("POST", "compute", f"/v2.1/servers/{server}/action", body)
        if response.status_code >= 300:
            return None
        return str(response.json()["vm-snapshot"]["instance_snapshot_id"])

    def _behaviour(self) -> str | None:
        spec = {"kind": "server", "mode": "stuck_in_build", "name_regex": "^never$"}
        response = self.call("POST", "emulator", "/behaviours", {"behaviour": spec})
        if response.status_code >= 300:
            return None
        return str(response.json()["behaviour"]["id"])

    def fresh_token(self) -> str:
        """A new admin token, for DELETE /v3/auth/tokens to revoke instead of the world's."""
        return _login(self.client, "root", "passw0rd", "ibm-default").token

    # -- checks -------------------------------------------------------------------------------
    def reset_faults(self) -> None:
        """Injected API faults and latency are the behaviours API working, not a defect: they
        are cleared after each example of the behaviours operations."""
        self.emulator.behaviours.clear()

    def check_invariants(self) -> None:
        check_host_usage(self.emulator)
        check_ports_have_servers(self.emulator)
        self.check_footing()

    def check_footing(self) -> None:
        """The world's admin still authenticates: no example reached the essentials (a request
        that did would turn every later example into a 401 and hide the operation's bugs)."""
        try:
            self.emulator.identity.authenticate(self.admin.token)
        except ApiError as error:
            raise AssertionError(f"the admin token stopped working: {error.message}") from None


def _name() -> str:
    return f"fz-{uuid.uuid4().hex[:8]}"


def _login(client: AppClient, user: str, password: str, project: str) -> Account:
    domain = {"name": "Default"}
    auth = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": domain, "password": password}},
        },
        "scope": {"project": {"name": project, "domain": domain}},
    }
    response = client.post(f"{PROXY_PREFIX}/identity/v3/auth/tokens", json={"auth": auth})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    return Account(token["user"]["id"], token["project"]["id"], response.headers["x-subject-token"])


# -- response checks ----------------------------------------------------------------------------
def check_response(
    service: str, response: Any, described: str, *, not_implemented: bool = False
) -> None:
    """No 5xx (but nova's 501 where `not_implemented`); a request id; every 4xx (and that 501)
    in the service's own envelope."""
    status = response.status_code
    allowed = status < 500 or (not_implemented and status == 501)
    assert allowed, f"{described} -> {status}: {response.text[:2000]}"
    request_id = response.headers.get("x-openstack-request-id", "")
    assert REQUEST_ID.match(request_id), f"{described} -> {status} without a request id"
    if service == "compute":
        assert response.headers.get("x-compute-request-id") == request_id, described
    if status >= 400:
        check_envelope(service, status, response, described)


def check_envelope(service: str, status: int, response: Any, described: str) -> None:
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{described} -> {status} with a non-JSON body") from None
    assert isinstance(body, dict), f"{described} -> {status}: {body!r}"
    if service == "identity" or status == 401:
        error = body.get("error")
        assert set(body) == {"error"}, f"{described}: {body}"
        assert set(error) == {"code", "message", "title"}, f"{described}: {body}"
        assert error["code"] == status, f"{described}: {body}"
    elif service == "network":
        fault = body.get("NeutronError")
        assert set(body) == {"NeutronError"}, f"{described}: {body}"
        assert set(fault) == {"type", "message", "detail"}, f"{described}: {body}"
    elif service == "image":
        assert set(body) == {"code", "title", "message"}, f"{described}: {body}"
        assert body["code"].startswith(str(status)), f"{described}: {body}"
    else:
        assert len(body) == 1, f"{described}: {body}"
        ((name, fault),) = body.items()
        assert name in NOVA_FAULTS, f"{described}: {body}"
        assert fault == {"code": status, "message": fault["message"]}, f"{described}: {body}"
        assert isinstance(fault["message"], str), f"{described}: {body}"


# -- state invariants ---------------------------------------------------------------------------
def _live_servers(emulator: Emulator) -> Iterator[Any]:
    return (s for s in emulator.compute.servers.values() if not s.deleted)


def check_host_usage(emulator: Emulator) -> None:
    """Each host's used memory and processing units are the sum of the claims of the servers
    placed on it (or migrating to it)."""
    for host in emulator.hosts.hosts.values():
        claims = [
            server.claim
            for server in _live_servers(emulator)
            if server.claimed
            and host.name in (server.host, getattr(server, "migration_target", None))
        ]
        memory = sum(claim.memory_mb for claim in claims)
        units = sum((claim.proc_units for claim in claims), start=type(host.units_used)(0))
        assert host.memory_used_mb == memory, f"{host.name}: {host.memory_used_mb} MB != {memory}"
        assert host.units_used == units, f"{host.name}: {host.units_used} units != {units}"


def check_ports_have_servers(emulator: Emulator) -> None:
    """No port is left bound to a server that is gone."""
    servers = emulator.compute.servers
    for port in emulator.networks.ports.values():
        if not port.device_owner.startswith("compute:") or port.device_id not in servers:
            continue
        assert not servers[port.device_id].deleted, f"port {port.id} of deleted server"
