"""The cluster spec: a YAML file -> `powerbridge.ha.model.ClusterSpec`.

```yaml
name: appha
nodes: {count: 2, name: "{cluster}-node{index}"}   # appha-node1 (home), appha-node2
image: PowerHA72
template: powervm.small
network: cmbnet1
service_ip: {label: appha-svc, address: 192.168.100.251}
application:
  start: {content: "..."}                          # written to every node
  stop: /opt/app/bin/stop.sh                       # already on the image
```

Reading happens as for the deployment spec (`deploy.yaml_located`), each step collecting every
error before raising `powerbridge.deploy.errors.SpecErrors`: YAML syntax and duplicate keys;
the shipped JSON Schema (`schema.json`, `load_cluster_schema()`); then the rules a schema
cannot state (name rules of `ha.names`, the node name pattern, a file system's logical volume,
unique names and addresses, `address` or `allocate`). Every error names the file, line, column,
key and what is allowed. docs/ha.md ("The cluster spec") is the reference for every key.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from powerbridge.deploy.errors import SpecError, SpecErrors
from powerbridge.deploy.model import normalise_powervm_key
from powerbridge.deploy.spec_text import read_spec_text
from powerbridge.deploy.yaml_located import (
    LocatedSchema,
    Locator,
    Path,
    did_you_mean,
    load_located,
    path_text,
    read_schema,
)
from powerbridge.ha import names
from powerbridge.ha.model import (
    AntiAffinity,
    ApplicationCommandSpec,
    ApplicationSpec,
    ClusterSpec,
    FileSystemSpec,
    LogicalVolumeSpec,
    MonitorSpec,
    NodeSpec,
    PlacementSpec,
    RepositorySpec,
    ResourceGroupSpec,
    ScriptSpec,
    ServiceIPSpec,
    SharedStorageSpec,
    SplitMergeSpec,
    SshSpec,
)

__all__ = [
    "DEFAULT_NODE_PATTERN",
    "load_cluster_schema",
    "load_cluster_spec",
    "parse_cluster_spec",
]

DEFAULT_NODE_PATTERN: Final = "{cluster}n{index}"
NODE_PATTERN_RULE: Final = (
    "a pattern with {index} once and optionally {cluster}, e.g. {cluster}n{index} or db{index}"
)
SCRIPT_DIRECTORY: Final = "/opt/powerbridge"  # where a script given only by content goes
MAX_LOCATIONS: Final = 10_000  # aliases can make a small file a huge tree: stop recording there
_PLACEHOLDER: Final = re.compile(r"\{(cluster|index)\}")
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"


def load_cluster_schema() -> dict[str, Any]:
    """The JSON Schema of the cluster spec, as shipped in the package (a fresh copy)."""
    return read_schema("powerbridge.ha")


@functools.cache
def _schema() -> LocatedSchema:
    return LocatedSchema(read_schema("powerbridge.ha"))


def load_cluster_spec(path: str | os.PathLike[str]) -> ClusterSpec:
    """Read a cluster spec file; raises `SpecErrors` listing every problem of the file."""
    source = os.fspath(path)
    try:
        text = read_spec_text(source)
    except OSError as error:
        message = f"cannot read the cluster spec: {error.strerror or error}"
        raise SpecErrors([SpecError(file=source, message=message)]) from None
    return parse_cluster_spec(text, source=source)


def parse_cluster_spec(text: str, *, source: str | None = None) -> ClusterSpec:
    """Parse cluster spec YAML; `source` is the file name used in messages and for relative
    paths. Raises `SpecErrors` listing every problem found."""
    root, data = load_located(text, source)
    locator = Locator(root, source)
    errors = _schema().errors(data, locator)
    if errors:
        raise SpecErrors(errors)
    return _Builder(data, locator, source).build(_locations(root))


def _locations(root: yaml.Node | None) -> dict[str, int]:
    """Every key and list item's dotted path (`repository.size_gb`, `nodes.1`) -> its line."""
    found: dict[str, int] = {}
    stack: list[tuple[tuple[str, ...], yaml.Node | None]] = [((), root)]
    while stack and len(found) < MAX_LOCATIONS:
        prefix, node = stack.pop()
        children: list[tuple[str, yaml.Node, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            children = [
                (str(key.value), key, value)
                for key, value in node.value
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG
            ]
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(index), item, item) for index, item in enumerate(node.value)]
        for part, mark_node, value in children:
            path = (*prefix, part)
            found.setdefault(".".join(path), mark_node.start_mark.line + 1)
            stack.append((path, value))
    return found


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class _Builder:
    """Builds the spec from schema-valid data, collecting every rule it breaks."""

    data: dict[str, Any]
    locator: Locator
    source: str | None
    errors: list[SpecError] = field(default_factory=list)
    addresses: dict[str, Path] = field(default_factory=dict)
    # An invalid cluster name is reported once, not again through each name made from it.
    derived_names_checked: bool = True

    def fail(self, path: Path, message: str, allowed: str | None = None, **kw: Any) -> None:
        self.errors.append(self.locator.error(path, message, allowed, **kw))

    def build(self, locations: Mapping[str, int]) -> ClusterSpec:
        name = self._cluster_name()
        nodes = self._nodes(name)
        spec = ClusterSpec(
            name=name,
            nodes=nodes,
            image=self.data["image"],
            template=self.data["template"],
            network=self.data["network"],
            ssh=self._ssh(name),
            service_ip=self._service_ip(nodes),
            resource_group=self._resource_group(name),
            application=self._application(name),
            repository=self._repository(),
            shared_storage=self._shared_storage(),
            powervm=self._powervm(),
            split_merge=self._split_merge(),
            heartbeat=self.data.get("heartbeat"),
            application_command=self._application_command(),
            placement=self._placement(),
            anti_affinity=self._anti_affinity(),
            collocation_rule=self.data.get("collocation_rule"),
            source=self.source,
            locations=locations,
        )
        if self.errors:
            raise SpecErrors(self.errors)
        return spec

    # -- names and nodes -----------------------------------------------------------------------

    def _cluster_name(self) -> str:
        name: str = self.data["name"]
        problem = names.powerha_name_problem(name)
        if problem:
            self.fail(("name",), f"{problem} as a cluster name", names.POWERHA_NAME_RULE)
            self.derived_names_checked = False
        return name

    def _powerha_name(self, path: Path, body: Mapping[str, Any], default: str) -> str:
        """`body["name"]`, else `default`, checked against PowerHA's name rule."""
        name: str = body.get("name", default)
        problem = names.powerha_name_problem(name)
        if problem and "name" in body:
            self.fail((*path, "name"), problem, names.POWERHA_NAME_RULE)
        elif problem and self.derived_names_checked:
            self.fail(path, f"the default name {problem}: set name", names.POWERHA_NAME_RULE)
        return name

    def _nodes(self, cluster: str) -> tuple[NodeSpec, ...]:
        value = self.data["nodes"]
        if isinstance(value, list):
            return self._listed_nodes(value)
        return self._pattern_nodes(value, cluster)

    def _listed_nodes(self, items: Sequence[str | dict[str, Any]]) -> tuple[NodeSpec, ...]:
        nodes: list[NodeSpec] = []
        seen: dict[str, Path] = {}
        for index, item in enumerate(items):
            path: Path = ("nodes", index)
            name = item if isinstance(item, str) else item["name"]
            name_path = path if isinstance(item, str) else (*path, "name")
            problem = names.host_name_problem(name)
            if problem:
                self.fail(name_path, f"{problem} as a node name", names.HOST_NAME_RULE)
                continue
            first = seen.setdefault(name, path)
            if first != path:
                self.fail(name_path, f"node '{name}' is also {path_text(first)}", "unique names")
                continue
            fixed = None if isinstance(item, str) else item.get("fixed_ip")
            address = self._address((*path, "fixed_ip"), fixed) if fixed is not None else None
            nodes.append(NodeSpec(name, address))
        return tuple(nodes)

    def _pattern_nodes(self, body: Mapping[str, Any], cluster: str) -> tuple[NodeSpec, ...]:
        pattern: str = body.get("name", DEFAULT_NODE_PATTERN)
        path: Path = ("nodes", "name") if "name" in body else ("nodes",)
        stray = _PLACEHOLDER.sub("", pattern)
        if pattern.count("{index}") != 1 or "{" in stray or "}" in stray:
            self.fail(path, f"'{pattern}' is not a node name pattern", NODE_PATTERN_RULE)
            return ()
        prefix = cluster.lower().replace("_", "-")
        made = [
            pattern.replace("{cluster}", prefix).replace("{index}", str(index))
            for index in range(1, body["count"] + 1)
        ]
        for name in made:
            problem = names.host_name_problem(name)
            if problem and (self.derived_names_checked or "{cluster}" not in pattern):
                message = f"{problem} as a node name (made by the pattern '{pattern}')"
                self.fail(path, message, names.HOST_NAME_RULE)
                return ()
        return tuple(NodeSpec(name) for name in made)

    def _address(self, path: Path, text: str) -> str | None:
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            self.fail(path, f"'{text}' is not an IP address", "an IPv4 or IPv6 address")
            return None
        first = self.addresses.setdefault(address, path)
        if first != path:
            self.fail(path, f"address {address} is also given at {path_text(first)}")
            return None
        return address

    # -- access and addresses ------------------------------------------------------------------

    def _ssh(self, cluster: str) -> SshSpec:
        body: dict[str, Any] = self.data.get("ssh") or {}
        defaults = SshSpec(key_pair=f"{cluster}-key")
        return SshSpec(
            key_pair=body.get("key_pair", defaults.key_pair),
            private_key=self._key_file(body.get("private_key")),
            user=body.get("user", defaults.user),
            connect_timeout=float(body.get("connect_timeout", defaults.connect_timeout)),
            command_timeout=float(body.get("command_timeout", defaults.command_timeout)),
        )

    def _key_file(self, path: str | None) -> str | None:
        if path is None:
            return None
        path = os.path.expanduser(path)
        if self.source and not os.path.isabs(path):
            return os.path.join(os.path.dirname(self.source), path)
        return path

    def _service_ip(self, nodes: Sequence[NodeSpec]) -> ServiceIPSpec:
        path: Path = ("service_ip",)
        body: dict[str, Any] = self.data["service_ip"]
        label: str = body["label"]
        problem = names.host_name_problem(label)
        if problem:
            self.fail((*path, "label"), f"{problem} as a service label", names.HOST_NAME_RULE)
        elif label in (node.name for node in nodes):
            message = f"'{label}' is a node's name: the service label needs a name of its own"
            self.fail((*path, "label"), message)
        allocate = bool(body.get("allocate", False))
        address = body.get("address")
        hint = "address: <an IP of the network's subnet>, or allocate: true"
        if address is not None and allocate:
            self.fail(path, "give address or allocate: true, not both", hint, key="allocate")
        elif address is None and not allocate:
            self.fail(path, "missing: give address or allocate: true", hint, key="address")
        elif address is not None:
            address = self._address((*path, "address"), address)
        return ServiceIPSpec(label=label, address=address, allocate=allocate)

    # -- storage -------------------------------------------------------------------------------

    def _repository(self) -> RepositorySpec:
        body: dict[str, Any] = self.data.get("repository") or {}
        return RepositorySpec(
            size_gb=body.get("size_gb", RepositorySpec.size_gb),
            storage_template=body.get("storage_template"),
            backup=bool(body.get("backup", False)),
        )

    def _shared_storage(self) -> SharedStorageSpec:
        path: Path = ("shared_storage",)
        body: dict[str, Any] = self.data.get("shared_storage") or {}
        defaults = SharedStorageSpec()
        group: str = body.get("volume_group", defaults.volume_group)
        problem = names.volume_group_problem(group)
        if problem:
            self.fail((*path, "volume_group"), problem, names.LVM_NAME_RULE)
        volumes = self._logical_volumes(body.get("logical_volumes") or [])
        systems = self._file_systems(body.get("file_systems") or [], volumes)
        storage = SharedStorageSpec(
            count=body.get("count", defaults.count),
            size_gb=body.get("size_gb", defaults.size_gb),
            storage_template=body.get("storage_template"),
            volume_group=group,
            logical_volumes=tuple(volumes.values()),
            file_systems=tuple(systems),
        )
        self._check_capacity(storage)
        return storage

    def _logical_volumes(self, items: Sequence[dict[str, Any]]) -> dict[str, LogicalVolumeSpec]:
        volumes: dict[str, LogicalVolumeSpec] = {}
        for index, item in enumerate(items):
            path: Path = ("shared_storage", "logical_volumes", index, "name")
            name: str = item["name"]
            problem = names.lvm_name_problem(name)
            if problem:
                self.fail(path, problem, names.LVM_NAME_RULE)
            elif name in volumes:
                self.fail(path, f"logical volume '{name}' is listed twice", "unique names")
            else:
                volumes[name] = LogicalVolumeSpec(name, item["size_mb"], item.get("type", "jfs2"))
        return volumes

    def _file_systems(
        self, items: Sequence[dict[str, Any]], volumes: Mapping[str, LogicalVolumeSpec]
    ) -> list[FileSystemSpec]:
        systems: dict[str, FileSystemSpec] = {}
        holders: dict[str, str] = {}  # logical volume -> the mount point on it
        for index, item in enumerate(items):
            path: Path = ("shared_storage", "file_systems", index)
            mount: str = item["mount_point"]
            volume: str = item["logical_volume"]
            problem = names.mount_point_problem(mount)
            if problem:
                self.fail((*path, "mount_point"), problem, names.MOUNT_POINT_RULE)
            elif mount in systems:
                self.fail((*path, "mount_point"), f"mount point {mount} is listed twice")
            elif self._usable_volume((*path, "logical_volume"), volume, volumes, holders):
                holders[volume] = mount
                systems[mount] = FileSystemSpec(mount, volume)
        return list(systems.values())

    def _usable_volume(
        self,
        path: Path,
        volume: str,
        volumes: Mapping[str, LogicalVolumeSpec],
        holders: Mapping[str, str],
    ) -> bool:
        if volume not in volumes:
            message = f"unknown logical volume '{volume}'" + did_you_mean(volume, list(volumes))
            self.fail(path, message, "a name from shared_storage.logical_volumes")
        elif volumes[volume].type != "jfs2":
            message = f"logical volume '{volume}' is {volumes[volume].type}"
            self.fail(path, message, "a file system needs a jfs2 logical volume")
        elif volume in holders:
            self.fail(path, f"logical volume '{volume}' already holds {holders[volume]}")
        else:
            return True
        return False

    def _check_capacity(self, storage: SharedStorageSpec) -> None:
        wanted = sum(volume.size_mb for volume in storage.logical_volumes)
        capacity = storage.count * storage.size_gb * 1024
        if wanted > capacity:
            message = (
                f"the logical volumes take {wanted} MB, more than the {capacity} MB of "
                f"{storage.count} x {storage.size_gb} GB"
            )
            allowed = "smaller logical volumes, or a larger count or size_gb"
            self.fail(("shared_storage", "logical_volumes"), message, allowed)

    # -- resources -----------------------------------------------------------------------------

    def _resource_group(self, cluster: str) -> ResourceGroupSpec:
        path: Path = ("resource_group",)
        body: dict[str, Any] = self.data.get("resource_group") or {}
        defaults = ResourceGroupSpec(name=f"{cluster}_rg")
        return ResourceGroupSpec(
            name=self._powerha_name(path, body, defaults.name),
            startup=str(body.get("startup", defaults.startup)).upper(),
            fallover=str(body.get("fallover", defaults.fallover)).upper(),
            fallback=str(body.get("fallback", defaults.fallback)).upper(),
            node_priority_policy=body.get("node_priority_policy"),
        )

    def _application(self, cluster: str) -> ApplicationSpec:
        path: Path = ("application",)
        body: dict[str, Any] = self.data["application"]
        name = self._powerha_name(path, body, f"{cluster}_app")
        scripts: dict[str, Path] = {}
        start = self._script((*path, "start"), body["start"], f"{name}/start.sh", scripts)
        stop = self._script((*path, "stop"), body["stop"], f"{name}/stop.sh", scripts)
        monitor = None
        if "monitor" in body:
            monitor = self._monitor((*path, "monitor"), body["monitor"], name, scripts)
        return ApplicationSpec(name=name, start=start, stop=stop, monitor=monitor)

    def _monitor(
        self, path: Path, body: dict[str, Any], application: str, scripts: dict[str, Path]
    ) -> MonitorSpec:
        name = self._powerha_name(path, body, f"{application}_mon")
        script = self._script(
            (*path, "script"), body["script"], f"{application}/monitor.sh", scripts
        )
        defaults = MonitorSpec(name=name, script=script)
        return MonitorSpec(
            name=name,
            script=script,
            interval=body.get("interval", defaults.interval),
            retry_count=body.get("retry_count", defaults.retry_count),
        )

    def _script(
        self, path: Path, value: str | dict[str, Any], default: str, seen: dict[str, Path]
    ) -> ScriptSpec:
        """A script given as a path on the image, or {path, content}; paths are distinct."""
        if isinstance(value, str):
            script = ScriptSpec(path=value)
        elif "path" not in value and "content" not in value:
            self.fail(path, "give path, content or both", names.SCRIPT_PATH_RULE)
            return ScriptSpec(path=f"{SCRIPT_DIRECTORY}/{default}")
        else:
            where = value.get("path", f"{SCRIPT_DIRECTORY}/{default}")
            script = ScriptSpec(path=where, content=value.get("content"))
        path_path = path if isinstance(value, str) or "path" not in value else (*path, "path")
        problem = names.script_path_problem(script.path)
        if problem:
            self.fail(path_path, problem, names.SCRIPT_PATH_RULE)
        elif seen.setdefault(script.path, path) != path:
            message = f"{script.path} is also {path_text(seen[script.path])}"
            self.fail(path_path, message, "a script of its own")
        return script

    def _split_merge(self) -> SplitMergeSpec | None:
        body: dict[str, Any] | None = self.data.get("split_merge")
        if body is None:
            return None
        defaults = SplitMergeSpec()
        return SplitMergeSpec(body.get("split", defaults.split), body.get("merge", defaults.merge))

    def _application_command(self) -> ApplicationCommandSpec | None:
        value: str | dict[str, Any] | None = self.data.get("application_command")
        if value is None:
            return None
        if isinstance(value, str):
            return ApplicationCommandSpec(value)
        timeout = value.get("timeout", ApplicationCommandSpec.timeout)
        return ApplicationCommandSpec(value["command"], float(timeout))

    # -- placement -----------------------------------------------------------------------------

    def _powervm(self) -> dict[str, str]:
        overrides: dict[str, str] = {}
        for key, value in (self.data.get("powervm") or {}).items():
            normal = normalise_powervm_key(key)
            if normal in overrides:
                message = f"'{key}' is given twice (with and without the powervm: prefix)"
                self.fail(("powervm",), message, key=key)
            overrides[normal] = _text(value)
        return overrides

    def _placement(self) -> PlacementSpec:
        body: dict[str, Any] = self.data.get("placement") or {}
        return PlacementSpec(body.get("host_group"), body.get("storage_connectivity_group"))

    def _anti_affinity(self) -> AntiAffinity:
        policy: AntiAffinity = self.data.get("anti_affinity", "soft")
        if "anti_affinity" in self.data and "collocation_rule" in self.data:
            message = "anti_affinity is the policy of the rule made for the nodes: "
            message += "with collocation_rule, that rule's own policy holds"
            self.fail(("anti_affinity",), message, "anti_affinity or collocation_rule, not both")
        return policy
