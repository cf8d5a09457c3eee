"""The YAML deployment spec: defaults, server patterns, shared volumes, collocation rules.

```yaml
deployment: web
defaults: {template: powervm.small, image: AIX72, network: cmbnet1,
           storage_template: xiv90 base template}
servers:
  - name: web{01..03}            # web01, web02, web03 (zero padding kept)
    volumes: [shared-data, {size_gb: 10, name: logs}]
  - name: db
    count: 2                     # db-1, db-2
    powervm: {max_mem: 16384}    # or powervm:max_mem
volumes:
  shared-data: {size_gb: 100}    # listed by several servers: multiattach
collocation_rules:
  web-apart: {policy: anti-affinity}
```

Reading happens in three steps, each collecting every error before raising `SpecErrors`:
YAML syntax (and duplicate keys, which YAML loaders otherwise drop silently); the shipped JSON
Schema (`schema.json`, `load_schema()`), each error mapped from its JSON path back to the line
and column of the YAML node; then the rules a schema cannot state (name patterns, references,
unique names and IPs, `fixed_ip` on an entry making several servers). The first two steps are
`deploy.yaml_located`'s, shared with the cluster spec (`ha.spec`). docs/deploy-spec.md is the
reference for every key.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Final

from powerbridge.deploy.errors import SpecError, SpecErrors
from powerbridge.deploy.model import (
    OWNER_TAGS,
    CollocationRuleSpec,
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    VolumeSpec,
)
from powerbridge.deploy.spec_text import read_spec_text
from powerbridge.deploy.yaml_located import (
    LocatedSchema,
    Locator,
    Path,
    load_located,
    path_text,
    read_schema,
)

__all__ = ["MAX_SERVERS_PER_ENTRY", "load_schema", "load_yaml", "parse_yaml"]

MAX_SERVERS_PER_ENTRY: Final = 1000

_RANGE: Final = re.compile(r"\{([0-9]+)\.\.([0-9]+)\}")
_PATTERN_HINT: Final = "a name, or one range such as web{01..10}"


@functools.cache
def _schema() -> LocatedSchema:
    return LocatedSchema(read_schema("powerbridge.deploy"))


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the YAML form, as shipped in the package (a fresh copy)."""
    return read_schema("powerbridge.deploy")


def load_yaml(path: str | os.PathLike[str], *, name: str | None = None) -> DeploymentSpec:
    """Read a YAML spec; the deployment is `name`, else `deployment:`, else the file's stem."""
    source = os.fspath(path)
    text = read_spec_text(source)
    return parse_yaml(text, name=name, source=source)


def parse_yaml(text: str, *, name: str | None = None, source: str | None = None) -> DeploymentSpec:
    """Parse YAML text into a `DeploymentSpec`; raises `SpecErrors` listing every error.

    The deployment is `name`, else the document's `deployment:`, else the stem of `source`
    (the file name used in messages); ValueError when there is none of them.
    """
    root, data = load_located(text, source)
    locator = Locator(root, source)
    errors = _schema().errors(data, locator)
    if errors:
        raise SpecErrors(errors)
    deployment = name or data.get("deployment") or (PurePath(source).stem if source else None)
    if not deployment:
        raise ValueError("parse_yaml needs a deployment name, a deployment: key or a source")
    return _Builder(data, locator, deployment, source).build()


# --- the rules a schema cannot state ------------------------------------------------------------


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class _Entry:
    """One `servers:` entry read once, whatever number of servers it makes."""

    path: Path
    line: int
    names: list[str]
    settings: dict[str, Any]
    networks: tuple[NetworkSpec, ...]
    volume_items: list[tuple[int, str | dict[str, Any]]]


@dataclass
class _Builder:
    data: dict[str, Any]
    locator: Locator
    deployment: str
    source: str | None
    errors: list[SpecError] = field(default_factory=list)
    server_paths: dict[str, Path] = field(default_factory=dict)
    volume_paths: dict[str, Path] = field(default_factory=dict)
    fixed_ips: dict[str, Path] = field(default_factory=dict)

    def fail(self, path: Path, message: str, allowed: str | None = None, **kw: Any) -> None:
        self.errors.append(self.locator.error(path, message, allowed, **kw))

    def build(self) -> DeploymentSpec:
        defaults: dict[str, Any] = self.data.get("defaults") or {}
        self._check_deployment()
        self._check_defaults(defaults)
        named: dict[str, dict[str, Any]] = self.data.get("volumes") or {}
        self.volume_paths.update((volume, ("volumes", volume)) for volume in named)
        rules = {
            rule: CollocationRuleSpec(rule, body["policy"])
            for rule, body in (self.data.get("collocation_rules") or {}).items()
        }
        entries = [
            self._entry(("servers", index), item, defaults)
            for index, item in enumerate(self.data["servers"])
        ]
        users: dict[str, list[str]] = {name: [] for name in named}
        inline: dict[str, VolumeSpec] = {}
        servers = [
            server
            for entry in entries
            for server in self._servers(entry, defaults, named, users, inline)
        ]
        volumes = self._shared(named, users) | inline
        if self.errors:
            raise SpecErrors(self.errors)
        return DeploymentSpec(self.deployment, tuple(servers), volumes, rules, self.source)

    def _check_deployment(self) -> None:
        name = self.deployment
        if not name or name != name.strip():
            self.fail(("deployment",), f"deployment name {name!r} has surrounding spaces")

    def _check_defaults(self, defaults: Mapping[str, Any]) -> None:
        path: Path = ("defaults",)
        if "network" in defaults and "networks" in defaults:
            self.fail(path, "give network or networks, not both", key="networks")
        for index, item in enumerate(defaults.get("networks") or []):
            if isinstance(item, dict) and "fixed_ip" in item:
                where = (*path, "networks", index)
                self.fail(where, "a fixed_ip belongs on a server entry, not in defaults")
        self._check_metadata(path, defaults.get("metadata") or {})

    def _check_metadata(self, path: Path, metadata: Mapping[str, Any]) -> None:
        for reserved in OWNER_TAGS:
            if reserved in metadata:
                message = f"metadata key '{reserved}' is reserved: powerbridge sets it"
                self.fail((*path, "metadata"), message, key=reserved)

    # -- server entries ----------------------------------------------------------------------

    def _entry(self, path: Path, item: dict[str, Any], defaults: dict[str, Any]) -> _Entry:
        names = self._names(path, item)
        settings = {key: value for key, value in defaults.items() if key != "storage_template"}
        settings.update(item)
        for key in ("metadata", "powervm"):
            settings[key] = {**(defaults.get(key) or {}), **(item.get(key) or {})}
        for key in ("template", "image"):
            if key not in settings:
                self.fail(path, "missing: set it here or in defaults", key=key)
        self._check_metadata(path, item.get("metadata") or {})
        networks = self._networks(path, item, defaults, len(names))
        items = list(enumerate(item.get("volumes") or []))
        node = self.locator.node(path)
        line = node.start_mark.line + 1 if node is not None else 0
        return _Entry(path, line, names, settings, networks, items)

    def _names(self, path: Path, item: Mapping[str, Any]) -> list[str]:
        name: str = item["name"]
        ranges = list(_RANGE.finditer(name))
        rest = _RANGE.sub("", name)
        where = (*path, "name")
        if len(ranges) > 1 or "{" in rest or "}" in rest:
            self.fail(where, f"'{name}' is not a name pattern", _PATTERN_HINT)
            return []
        if ranges and "count" in item:
            self.fail((*path, "count"), "count cannot be combined with a name pattern")
            return []
        if ranges:
            return self._expand(where, name, ranges[0])
        if "count" in item:
            return [f"{name}-{n}" for n in range(1, item["count"] + 1)]
        return [name]

    def _expand(self, where: Path, name: str, match: re.Match[str]) -> list[str]:
        first, last = match.group(1), match.group(2)
        low, high = int(first), int(last)
        if low > high:
            self.fail(where, f"range {{{first}..{last}}} runs backwards", _PATTERN_HINT)
            return []
        if high - low + 1 > MAX_SERVERS_PER_ENTRY:
            message = f"range {{{first}..{last}}} makes more than {MAX_SERVERS_PER_ENTRY} servers"
            self.fail(where, message)
            return []
        padded = any(len(bound) > 1 and bound.startswith("0") for bound in (first, last))
        width = max(len(first), len(last)) if padded else 0
        head, tail = name[: match.start()], name[match.end() :]
        return [f"{head}{str(n).zfill(width)}{tail}" for n in range(low, high + 1)]

    def _networks(
        self, path: Path, item: Mapping[str, Any], defaults: Mapping[str, Any], count: int
    ) -> tuple[NetworkSpec, ...]:
        if "network" in item and "networks" in item:
            self.fail(path, "give network or networks, not both", key="networks")
            return ()
        if "fixed_ip" in item and "networks" in item:
            message = "with networks, give fixed IPs as networks: [{name, fixed_ip}]"
            self.fail((*path, "fixed_ip"), message)
            return ()
        source = item if ("network" in item or "networks" in item) else defaults
        if "networks" in source:
            base = (path if source is item else ("defaults",)) + ("networks",)
            networks = [
                self._network_entry((*base, index), entry, count)
                for index, entry in enumerate(source["networks"])
            ]
        elif "network" in source:
            networks = [NetworkSpec(source["network"])]
        else:
            self.fail(path, "no network: set network or networks here or in defaults")
            return ()
        if "fixed_ip" in item:
            address = self._address((*path, "fixed_ip"), item["fixed_ip"], count)
            networks[0] = NetworkSpec(networks[0].name, address)
        return tuple(networks)

    def _network_entry(self, path: Path, entry: str | dict[str, Any], count: int) -> NetworkSpec:
        if isinstance(entry, str):
            return NetworkSpec(entry)
        address = None
        if "fixed_ip" in entry:
            address = self._address((*path, "fixed_ip"), entry["fixed_ip"], count)
        return NetworkSpec(entry["name"], address)

    def _address(self, path: Path, text: str, count: int) -> str | None:
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            self.fail(path, f"'{text}' is not an IP address", "an IPv4 or IPv6 address")
            return None
        if count > 1:
            self.fail(path, f"a fixed_ip on an entry that makes {count} servers")
            return None
        first = self.fixed_ips.setdefault(address, path)
        if first != path:
            self.fail(path, f"fixed IP {address} is also given at {path_text(first)}")
        return address

    def _servers(
        self,
        entry: _Entry,
        defaults: Mapping[str, Any],
        named: Mapping[str, dict[str, Any]],
        users: dict[str, list[str]],
        inline: dict[str, VolumeSpec],
    ) -> Iterator[ServerSpec]:
        settings = entry.settings
        if "template" not in settings or "image" not in settings:
            return
        refs = self._volume_refs(entry, named)
        for server in entry.names:
            if not self._claim_server(entry.path, server):
                continue
            volumes = list(refs)
            for name in refs:
                users[name].append(server)
            volumes += self._inline(entry, server, defaults, inline)
            yield ServerSpec(
                name=server,
                template=settings["template"],
                image=settings["image"],
                networks=entry.networks,
                volumes=tuple(volumes),
                host=settings.get("host"),
                host_group=settings.get("host_group"),
                storage_connectivity_group=settings.get("storage_connectivity_group"),
                collocation_rule=settings.get("collocation_rule"),
                powervm={key: _text(value) for key, value in settings["powervm"].items()},
                metadata={
                    key: _text(value)
                    for key, value in settings["metadata"].items()
                    if key not in OWNER_TAGS  # reported; the spec is not returned
                },
                user_data=self._user_data(settings.get("user_data")),
                line=entry.line,
            )

    def _claim_server(self, path: Path, server: str) -> bool:
        first = self.server_paths.setdefault(server, path)
        if first != path:
            message = f"server name '{server}' is also made by {path_text(first)}"
            self.fail((*path, "name"), message, "server names are unique")
            return False
        return True

    def _volume_refs(self, entry: _Entry, named: Mapping[str, dict[str, Any]]) -> list[str]:
        refs: list[str] = []
        for index, item in entry.volume_items:
            if not isinstance(item, str):
                continue
            where = (*entry.path, "volumes", index)
            if item not in named:
                message = f"unknown volume '{item}'"
                close = difflib.get_close_matches(item, list(named), n=1)
                message += f"; did you mean '{close[0]}'?" if close else ""
                self.fail(where, message, "a name from volumes:, or an inline volume mapping")
            elif item in refs:
                self.fail(where, f"volume '{item}' is listed twice")
            else:
                refs.append(item)
        return refs

    def _inline(
        self,
        entry: _Entry,
        server: str,
        defaults: Mapping[str, Any],
        inline: dict[str, VolumeSpec],
    ) -> list[str]:
        names = []
        position = 0
        for index, item in entry.volume_items:
            if isinstance(item, str):
                continue
            position += 1
            where = (*entry.path, "volumes", index)
            name = f"{server}-{item.get('name', position)}"
            first = self.volume_paths.setdefault(name, where)
            if first != where or name in inline:
                message = f"volume name '{name}' is also made by {path_text(first)}"
                self.fail(where, message, "inline volumes are named <server>-<name or n>")
                continue
            node = self.locator.node(where)
            inline[name] = VolumeSpec(
                name=name,
                size_gb=item["size_gb"],
                storage_template=item.get("storage_template", defaults.get("storage_template")),
                description=item.get("description"),
                line=node.start_mark.line + 1 if node is not None else None,
            )
            names.append(name)
        return names

    def _shared(
        self, named: Mapping[str, dict[str, Any]], users: Mapping[str, list[str]]
    ) -> dict[str, VolumeSpec]:
        defaults = self.data.get("defaults") or {}
        volumes = {}
        for name, body in named.items():
            listed = users[name]
            shared = body.get("shared", len(listed) > 1)
            if len(listed) > 1 and not shared:
                shown = ", ".join(listed[:3]) + (" ..." if len(listed) > 3 else "")
                message = f"volume '{name}' is listed by {len(listed)} servers ({shown})"
                allowed = "shared: true (multiattach), or list it on one server"
                self.fail(("volumes", name, "shared"), message + " but shared is false", allowed)
            node = self.locator.node(("volumes", name))
            volumes[name] = VolumeSpec(
                name=name,
                size_gb=body["size_gb"],
                storage_template=body.get("storage_template", defaults.get("storage_template")),
                shared=bool(shared),
                description=body.get("description"),
                line=node.start_mark.line + 1 if node is not None else None,
            )
        return volumes

    def _user_data(self, path: str | None) -> str | None:
        if path and self.source and not os.path.isabs(path):
            return os.path.join(os.path.dirname(self.source), path)
        return path
