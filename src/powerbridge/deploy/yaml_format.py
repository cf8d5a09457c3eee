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
unique names and IPs, `fixed_ip` on an entry making several servers). docs/deploy-spec.md is the
reference for every key.
"""

from __future__ import annotations

import copy
import difflib
import functools
import ipaddress
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePath
from typing import Any, Final, TypeAlias

import jsonschema
import yaml

from powerbridge.deploy.errors import SpecError, SpecErrors
from powerbridge.deploy.model import (
    OWNER_TAGS,
    CollocationRuleSpec,
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    VolumeSpec,
)

__all__ = ["MAX_SERVERS_PER_ENTRY", "load_schema", "load_yaml", "parse_yaml"]

MAX_SERVERS_PER_ENTRY: Final = 1000

Path: TypeAlias = tuple[str | int, ...]

_RANGE: Final = re.compile(r"\{([0-9]+)\.\.([0-9]+)\}")
_PATTERN_HINT: Final = "a name, or one range such as web{01..10}"
_LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TYPE_WORDS: Final = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the YAML form, as shipped in the package (a fresh copy)."""
    return copy.deepcopy(_schema())


def load_yaml(path: str | os.PathLike[str], *, name: str | None = None) -> DeploymentSpec:
    """Read a YAML spec; the deployment is `name`, else `deployment:`, else the file's stem."""
    source = os.fspath(path)
    with open(source, encoding="utf-8-sig") as handle:  # -sig: a BOM (Notepad) is no key
        text = handle.read()
    return parse_yaml(text, name=name, source=source)


def parse_yaml(text: str, *, name: str | None = None, source: str | None = None) -> DeploymentSpec:
    """Parse YAML text into a `DeploymentSpec`; raises `SpecErrors` listing every error.

    The deployment is `name`, else the document's `deployment:`, else the stem of `source`
    (the file name used in messages); ValueError when there is none of them.
    """
    root, data = _load(text, source)
    locator = _Locator(root, source)
    errors = [
        spec_error
        for error in _validator().iter_errors(data)
        for spec_error in _from_schema(error, locator)
    ]
    if errors:
        raise SpecErrors(errors)
    deployment = name or data.get("deployment") or (PurePath(source).stem if source else None)
    if not deployment:
        raise ValueError("parse_yaml needs a deployment name, a deployment: key or a source")
    return _Builder(data, locator, deployment, source).build()


# --- YAML with node positions ---------------------------------------------------------------


def _load(text: str, source: str | None) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (positions) and its data, built from the same nodes."""
    loader = _LOADER(text)
    try:
        root: yaml.Node | None = loader.get_single_node()
        if root is None:
            return None, None
        # Before constructing: merge keys (<<) are flattened into their mappings in place.
        problems = list(_mapping_problems(root, source, set()))
        if problems:
            raise SpecErrors(problems)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        raise SpecErrors([_yaml_error(error, source)]) from None
    except yaml.YAMLError as error:
        raise SpecErrors([SpecError(file=source, message=f"invalid YAML: {error}")]) from None
    finally:
        loader.dispose()


def _yaml_error(error: yaml.MarkedYAMLError, source: str | None) -> SpecError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "unreadable"
    if error.context and error.problem:
        problem = f"{problem} ({error.context})"
    return SpecError(
        file=source,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        message=f"invalid YAML: {problem}",
    )


def _mapping_problems(node: yaml.Node, source: str | None, stack: set[int]) -> Iterator[SpecError]:
    """Duplicate keys (YAML keeps the last silently) and recursive aliases, with positions."""
    if id(node) in stack:
        yield _at(node, source, None, "a recursive alias is not allowed")
        return
    stack.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                first = seen.setdefault(key.value, key)
                if first is not key:
                    line = first.start_mark.line + 1
                    yield _at(key, source, key.value, f"key given twice (first on line {line})")
            yield from _mapping_problems(value, source, stack)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _mapping_problems(item, source, stack)
    stack.discard(id(node))


def _at(
    node: yaml.Node, source: str | None, key: str | None, message: str, allowed: str | None = None
) -> SpecError:
    return SpecError(
        file=source,
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
        key=key,
        message=message,
        allowed=allowed,
    )


@dataclass(frozen=True)
class _Locator:
    """Finds the YAML node of a JSON path, to place an error at its line and column."""

    root: yaml.Node | None
    source: str | None

    def node(self, path: Path) -> yaml.Node | None:
        node = self.root
        for part in path:
            child = _child(node, part)
            if child is None:
                return node  # the deepest node that exists: where the missing part belongs
            node = child
        return node

    def key_node(self, path: Path, key: str) -> yaml.Node | None:
        node = self.node(path)
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return key_node
        return node

    def error(
        self,
        path: Path,
        message: str,
        allowed: str | None = None,
        *,
        key: str | None = None,
        node: yaml.Node | None = None,
    ) -> SpecError:
        """An error about the value at `path` (or, with `key`, about that key of the mapping)."""
        if node is None:
            node = self.key_node(path, key) if key is not None else self.node(path)
        shown = _path_text((*path, key) if key is not None else path)
        if node is None:
            return SpecError(file=self.source, key=shown, message=message, allowed=allowed)
        return _at(node, self.source, shown, message, allowed)


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                child: yaml.Node = value
                return child
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None


def _path_text(path: Sequence[str | int]) -> str | None:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or None


# --- JSON Schema errors -> spec errors --------------------------------------------------------


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("powerbridge.deploy").joinpath("schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Any:
    return jsonschema.Draft202012Validator(_inline_refs(_schema()))


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each local `$ref` replaced by its definition (merged with the keys
    beside it): the same validation without resolving a reference per value, which was two
    thirds of parsing a 1,000-server spec. The schema has no recursive definitions."""
    definitions = schema.get("$defs", {})

    def inline(node: Any, depth: int = 0) -> Any:
        if depth > 32:
            raise ValueError("schema.json: $ref nesting too deep (a recursive definition?)")
        if isinstance(node, list):
            return [inline(item, depth) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        rest = {key: inline(value, depth) for key, value in node.items() if key != "$ref"}
        if not (isinstance(reference, str) and reference.startswith("#/$defs/")):
            return rest if reference is None else {**rest, "$ref": reference}
        target = inline(definitions[reference.removeprefix("#/$defs/")], depth + 1)
        if set(target) & set(rest):
            return {**rest, "allOf": [target]}
        return {**target, **rest}

    inlined: dict[str, Any] = inline({k: v for k, v in schema.items() if k != "$defs"})
    return inlined


def _from_schema(error: Any, locator: _Locator) -> list[SpecError]:
    path: Path = tuple(error.absolute_path)
    validator = error.validator
    allowed = error.schema.get("description") if isinstance(error.schema, dict) else None
    if "propertyNames" in error.relative_schema_path:
        return [_bad_key(error, path, locator)]
    if validator in ("additionalProperties", "unevaluatedProperties"):
        return _unknown_keys(error, path, locator)
    if validator == "required":
        return [
            locator.error(path, "missing required key", key=key)
            for key in error.validator_value
            if isinstance(error.instance, dict) and key not in error.instance
        ]
    if validator in ("anyOf", "oneOf"):
        return _alternatives(error, path, locator, allowed)
    return [locator.error(path, _message(error), allowed)]


def _message(error: Any) -> str:
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "type":
        expected = [value] if isinstance(value, str) else list(value)
        words = [_TYPE_WORDS.get(kind, kind) for kind in expected]
        words = [", ".join(words[:-1]), words[-1]] if len(words) > 1 else words
        return f"expected {' or '.join(words)}, got {_describe(instance)}"
    if validator == "enum":
        choices = ", ".join(str(choice) for choice in value)
        return f"'{instance}' is not allowed: one of {choices}"
    if validator == "minimum":
        return f"{instance} is below the minimum {value}"
    if validator == "maximum":
        return f"{instance} is above the maximum {value}"
    if validator in ("minLength", "minItems") and value == 1:
        return "must not be empty"
    if validator == "maxLength":
        return f"longer than {value} characters"
    return str(error.message)


def _describe(instance: object) -> str:
    if instance is None:
        return "nothing"
    if isinstance(instance, bool):
        return f"the boolean {str(instance).lower()}"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, int | float):
        return f"the number {instance}"
    if isinstance(instance, str):
        return f"the string '{instance}'"
    return f"a {type(instance).__name__} ({instance})"


def _bad_key(error: Any, path: Path, locator: _Locator) -> SpecError:
    key = str(error.instance)
    node = locator.key_node(path, key)
    allowed = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "pattern":
        message = f"unknown key '{key}'"
        close = difflib.get_close_matches(key, re.findall(r"[a-z_]+", allowed or ""), n=1)
        message += f"; did you mean '{close[0]}'?" if close else ""
    elif error.validator == "type":
        message = f"key {key!r} is not a string"
    else:
        message = f"key '{key}': {_message(error)}"
    return locator.error(path, message, allowed, key=key, node=node)


def _unknown_keys(error: Any, path: Path, locator: _Locator) -> list[SpecError]:
    known = sorted(_declared_keys(error.schema))
    hint = "allowed keys: " + ", ".join(known)
    errors = []
    for key in error.instance:
        if key in known:
            continue
        message = f"unknown key '{key}'"
        close = difflib.get_close_matches(str(key), known, n=1)
        message += f"; did you mean '{close[0]}'?" if close else ""
        errors.append(locator.error(path, message, hint, key=str(key)))
    return errors


def _declared_keys(schema: Mapping[str, Any]) -> set[str]:
    keys = set(schema.get("properties", {}))
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        keys |= _declared_keys(_schema()["$defs"][reference.removeprefix("#/$defs/")])
    for part in schema.get("allOf", ()):  # where `_inline_refs` kept a definition apart
        keys |= _declared_keys(part)
    return keys


def _alternatives(
    error: Any, path: Path, locator: _Locator, allowed: str | None
) -> list[SpecError]:
    # A branch whose type does not fit the value is not what the author meant: report the rest.
    relevant = [
        sub
        for sub in error.context
        if not (sub.validator == "type" and tuple(sub.absolute_path) == path)
    ]
    if relevant:
        return [spec for sub in relevant for spec in _from_schema(sub, locator)]
    return [locator.error(path, f"expected {allowed}, got {_describe(error.instance)}")]


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
    locator: _Locator
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
            self.fail(path, f"fixed IP {address} is also given at {_path_text(first)}")
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
            message = f"server name '{server}' is also made by {_path_text(first)}"
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
                message = f"volume name '{name}' is also made by {_path_text(first)}"
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
