"""The pipe format PowerVC administrators keep their batch deployments in: one VM a line.

```
# db1 with one private 10 GB volume data-db1-1 (default storage template)
flavor_name=powervm.tiny|vm_name=db1|image_name=AIX72|vlan_name=cmbnet1|lun_spec=1:10::data
```

Rules (docs/deploy-spec.md has the full text):

- A line is `key=value` fields separated by `|`, in any order; a field splits at its first
  `=`, so values may contain `=`. Whitespace around keys, values and `lun_spec` fields is
  ignored; empty fields (`||`, a trailing `|`) are skipped. Blank lines and lines whose first
  non-blank character is `#` are skipped (there are no comments after a field).
- Required: `vm_name`, `flavor_name`, `image_name`, `vlan_name`. Optional: `lun_spec`
  (repeatable), `host_name`, `host_group`, `storage_connectivity_group` (empty: PowerVC
  chooses), and the extensions `fixed_ip` (on `vlan_name`'s network) and `user_data` (a file
  path, relative to the spec file's directory). Other keys are errors; so is a key given twice
  (except `lun_spec`), and a VM name used on two lines.
- `lun_spec` holds groups separated by `;` (empty groups are skipped); a group is
  `count:size_gb:storage_template:name_prefix:shared:description`, split on `:` at most five
  times, so only the description may contain `:`. Trailing fields may be left out; `count`
  (1..1000) and `size_gb` (>= 1) are whole numbers; an empty storage template means the
  cloud's default one; an empty prefix means the VM name; `shared` is `shared` (any case) or
  empty.
- Volume names: private `<prefix>-<vm_name>-<n>`, shared `<prefix>-shared-<n>`. Within one VM,
  n counts from 1 per (prefix, private|shared) and continues across that VM's groups in the
  order written: `lun_spec=2:10:t:data::;1:5:t:data::` gives `data-vm-1`, `data-vm-2`,
  `data-vm-3`, while a group with another prefix starts again at 1.
- A shared name made by several VMs is one multiattach volume attached to each of them; their
  groups must agree on size and storage template (the first line's description is kept). Any
  other volume name made twice is an error.

Every error of a file is collected and raised together as one `SpecErrors`.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Final

from powerbridge.deploy.errors import SpecError, SpecErrors
from powerbridge.deploy.model import DeploymentSpec, NetworkSpec, ServerSpec, VolumeSpec
from powerbridge.deploy.spec_text import read_spec_text

__all__ = [
    "KEYS",
    "LUN_SPEC_FORMAT",
    "MAX_LUN_COUNT",
    "REQUIRED_KEYS",
    "load_pipe",
    "parse_pipe",
    "render_pipe",
]

REQUIRED_KEYS: Final = ("vm_name", "flavor_name", "image_name", "vlan_name")
KEYS: Final = (
    "flavor_name",
    "vm_name",
    "image_name",
    "vlan_name",
    "lun_spec",
    "host_name",
    "host_group",
    "storage_connectivity_group",
    "fixed_ip",
    "user_data",
)
LUN_SPEC_FORMAT: Final = "count:size_gb:storage_template:name_prefix:shared:description"
MAX_LUN_COUNT: Final = 1000

_FORMAT_HINT: Final = f"format {LUN_SPEC_FORMAT}"
_KEYS_HINT: Final = "keys: " + ", ".join(KEYS)
_NAMING_HINT: Final = "volume names are <prefix>-<vm_name>-<n> and <prefix>-shared-<n>"
_WHOLE: Final = re.compile(r"[0-9]{1,18}")
_LINE_BREAK: Final = re.compile(r"\r\n|\n|\r")


def load_pipe(path: str | os.PathLike[str], *, name: str | None = None) -> DeploymentSpec:
    """Read a pipe file; the deployment is `name`, else the file's stem."""
    source = os.fspath(path)
    text = read_spec_text(source)
    return parse_pipe(text, name=name, source=source)


def parse_pipe(text: str, *, name: str | None = None, source: str | None = None) -> DeploymentSpec:
    """Parse pipe-format text into a `DeploymentSpec`; raises `SpecErrors` listing every error.

    The deployment is named `name`, else after the stem of `source` (the file name used in
    messages); one of the two is required.
    """
    deployment = name or (PurePath(source).stem if source else None)
    if not deployment:
        raise ValueError("parse_pipe needs a deployment name or a source file name")
    parser = _Parser(source)
    # lines as editors number them: str.splitlines would also break at \x1c-\x1e, \x85 and
    # \u2028, and every error after such a character would name the wrong line
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        parser.line(number, line)
    if not parser.servers and not parser.errors:
        parser.errors.append(SpecError(message="the file has no VM lines", file=source))
    if parser.errors:
        raise SpecErrors(parser.errors)
    volumes = {origin.spec.name: origin.spec for origin in parser.volumes.values()}
    return DeploymentSpec(deployment, tuple(parser.servers), volumes, {}, source)


def render_pipe(spec: DeploymentSpec) -> str:
    """The spec in the pipe format, one line per server; `parse_pipe` reads it back equal.

    Raises ValueError when the spec holds what the format cannot say (several networks,
    overrides, metadata, collocation rules, volumes not named by the naming rules, or text
    containing `|`, `;`, a line break or surrounding spaces).
    """
    if spec.collocation_rules:
        raise ValueError("the pipe format has no collocation rules")
    users = spec.users_of()
    unused = [volume for volume, servers in users.items() if not servers]
    if unused:
        raise ValueError(f"the pipe format cannot hold volumes no VM names: {unused}")
    return "".join(_render_server(spec, server) + "\n" for server in spec.servers)


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """A stripped piece of a line and the 1-based column of its first character."""

    column: int
    text: str


def _pieces(text: str, separator: str, column: int, maxsplit: int = -1) -> Iterator[_Piece]:
    for raw in text.split(separator, maxsplit):
        yield _strip(raw, column)
        column += len(raw) + len(separator)


def _strip(raw: str, column: int) -> _Piece:
    stripped = raw.lstrip()
    return _Piece(column + len(raw) - len(stripped), stripped.rstrip())


@dataclass(frozen=True)
class _Field:
    key: str
    key_column: int
    value: str
    value_column: int
    raw_value: str
    raw_column: int


@dataclass(frozen=True)
class _VolumeOrigin:
    spec: VolumeSpec
    line: int
    vm: str


@dataclass
class _Parser:
    source: str | None
    errors: list[SpecError] = field(default_factory=list)
    servers: list[ServerSpec] = field(default_factory=list)
    vm_lines: dict[str, int] = field(default_factory=dict)
    volumes: dict[str, _VolumeOrigin] = field(default_factory=dict)

    def error(
        self,
        line: int,
        column: int | None,
        key: str | None,
        message: str,
        allowed: str | None = None,
    ) -> None:
        self.errors.append(
            SpecError(
                file=self.source,
                line=line,
                column=column,
                key=key,
                message=message,
                allowed=allowed,
            )
        )

    def line(self, number: int, text: str) -> None:
        if not text.strip() or text.lstrip().startswith("#"):
            return
        before = len(self.errors)
        fields = self._fields(number, text)
        values = self._values(number, fields)
        name = values.get("vm_name")
        vm = name.value if name is not None and self._claim_vm_name(number, name) else None
        volumes = self._volumes(number, fields, vm)  # without a VM name: fields checked only
        fixed_ip = self._fixed_ip(number, values.get("fixed_ip"))
        if len(self.errors) == before:
            self.servers.append(self._server(number, values, volumes, fixed_ip))

    def _fields(self, number: int, text: str) -> list[_Field]:
        fields = []
        for piece in _pieces(text, "|", 1):
            if not piece.text:
                continue
            key_raw, equals, value_raw = piece.text.partition("=")
            key = key_raw.strip()
            if not equals:
                message = f"'{piece.text}' is not key=value"
                self.error(number, piece.column, None, message, _KEYS_HINT)
                continue
            raw_column = piece.column + len(key_raw) + 1
            value = _strip(value_raw, raw_column)
            fields.append(
                _Field(key, piece.column, value.text, value.column, value_raw, raw_column)
            )
        return fields

    def _values(self, number: int, fields: Sequence[_Field]) -> dict[str, _Field]:
        values: dict[str, _Field] = {}
        for item in fields:
            if item.key not in KEYS:
                self.error(number, item.key_column, item.key, _unknown_key(item.key), _KEYS_HINT)
            elif item.key == "lun_spec":
                continue
            elif item.key in values:
                first = values[item.key].key_column
                message = f"given twice (first at column {first})"
                self.error(number, item.key_column, item.key, message, "only lun_spec repeats")
            else:
                values[item.key] = item
        for key in REQUIRED_KEYS:
            if key not in values:
                allowed = "required keys: " + ", ".join(REQUIRED_KEYS)
                self.error(number, None, key, "missing required key", allowed)
            elif not values[key].value:
                self.error(number, values[key].value_column, key, "empty value", "a name")
        return values

    def _claim_vm_name(self, number: int, name: _Field) -> bool:
        if not name.value:
            return False
        first = self.vm_lines.setdefault(name.value, number)
        if first != number:
            message = f"VM name '{name.value}' is already used on line {first}"
            self.error(number, name.value_column, "vm_name", message, "one line per VM name")
        return first == number

    def _fixed_ip(self, number: int, item: _Field | None) -> str | None:
        if item is None or not item.value:
            return None
        try:
            return str(ipaddress.ip_address(item.value))
        except ValueError:
            message = f"'{item.value}' is not an IP address"
            self.error(number, item.value_column, "fixed_ip", message, "an IPv4 or IPv6 address")
            return None

    def _volumes(self, number: int, fields: Sequence[_Field], vm: str | None) -> list[str]:
        counters: dict[tuple[str, bool], int] = {}
        names: list[str] = []
        for item in fields:
            if item.key != "lun_spec":
                continue
            for group in _pieces(item.raw_value, ";", item.raw_column):
                if group.text:
                    names += self._group(number, group, vm, counters)
        return names

    def _group(
        self, number: int, group: _Piece, vm: str | None, counters: dict[tuple[str, bool], int]
    ) -> list[str]:
        parts = list(_pieces(group.text, ":", group.column, 5))
        if len(parts) < 2:
            message = f"'{group.text}' needs at least count and size_gb"
            self.error(number, group.column, "lun_spec", message, _FORMAT_HINT)
            return []
        parts += [_Piece(parts[-1].column + len(parts[-1].text), "")] * (6 - len(parts))
        count = self._whole(number, parts[0], "count", "a whole number", MAX_LUN_COUNT)
        size = self._whole(number, parts[1], "size", "a whole number of GB", None)
        shared = self._shared(number, parts[4])
        if count is None or size is None or shared is None or not vm:
            return []
        prefix = parts[3].text or vm
        template = parts[2].text or None
        volume = VolumeSpec("-", size, template, shared, parts[5].text or None, number)
        start = counters.get((prefix, shared), 0)
        counters[(prefix, shared)] = start + count
        names = [_volume_name(prefix, vm, shared, n) for n in range(start + 1, start + count + 1)]
        for volume_name in names:
            self._claim_volume(number, group.column, volume_name, volume, vm)
        return names

    def _whole(
        self, number: int, piece: _Piece, what: str, kind: str, limit: int | None
    ) -> int | None:
        if _WHOLE.fullmatch(piece.text) is None:
            message = f"{what} '{piece.text}' is not {kind}"
            self.error(number, piece.column, "lun_spec", message, _FORMAT_HINT)
            return None
        value = int(piece.text)
        if value < 1 or (limit is not None and value > limit):
            bounds = f"from 1 to {limit}" if limit else "at least 1"
            message = f"{what} {value} is out of range: {bounds}"
            self.error(number, piece.column, "lun_spec", message, _FORMAT_HINT)
            return None
        return value

    def _shared(self, number: int, piece: _Piece) -> bool | None:
        if piece.text.lower() in ("shared", ""):
            return bool(piece.text)
        message = f"shared field '{piece.text}' must be 'shared' or empty"
        self.error(number, piece.column, "lun_spec", message, _FORMAT_HINT)
        return None

    def _claim_volume(
        self, number: int, column: int, name: str, volume: VolumeSpec, vm: str
    ) -> None:
        volume = VolumeSpec(
            name, volume.size_gb, volume.storage_template, volume.shared, volume.description, number
        )
        first = self.volumes.get(name)
        if first is None:
            self.volumes[name] = _VolumeOrigin(volume, number, vm)
            return
        if not (first.spec.shared and volume.shared) or first.vm == vm:
            message = f"volume name '{name}' is also made on line {first.line} (VM {first.vm})"
            self.error(number, column, "lun_spec", message, _NAMING_HINT)
        elif (first.spec.size_gb, first.spec.storage_template) != (
            volume.size_gb,
            volume.storage_template,
        ):
            message = (
                f"shared volume '{name}' is {_describe(volume)} on line {number} but"
                f" {_describe(first.spec)} on line {first.line}"
            )
            allowed = "a shared volume has one size and storage template"
            self.error(number, column, "lun_spec", message, allowed)

    def _server(
        self, number: int, values: dict[str, _Field], volumes: list[str], fixed_ip: str | None
    ) -> ServerSpec:
        def get(key: str) -> str | None:
            item = values.get(key)
            return item.value if item is not None and item.value else None

        user_data = get("user_data")
        if user_data and self.source and not os.path.isabs(user_data):
            user_data = os.path.join(os.path.dirname(self.source), user_data)
        return ServerSpec(
            name=values["vm_name"].value,
            template=values["flavor_name"].value,
            image=values["image_name"].value,
            networks=(NetworkSpec(values["vlan_name"].value, fixed_ip),),
            volumes=tuple(volumes),
            host=get("host_name"),
            host_group=get("host_group"),
            storage_connectivity_group=get("storage_connectivity_group"),
            user_data=user_data,
            line=number,
        )


def _volume_name(prefix: str, vm: str, shared: bool, n: int) -> str:
    return f"{prefix}-shared-{n}" if shared else f"{prefix}-{vm}-{n}"


def _describe(volume: VolumeSpec) -> str:
    template = f"'{volume.storage_template}'" if volume.storage_template else "the default"
    return f"{volume.size_gb} GB on {template}"


def _unknown_key(key: str) -> str:
    message = f"unknown key '{key}'"
    close = difflib.get_close_matches(key, KEYS, n=1)
    return message + (f"; did you mean '{close[0]}'?" if close else "")


# --- rendering ---------------------------------------------------------------------------------


def _render_server(spec: DeploymentSpec, server: ServerSpec) -> str:
    if len(server.networks) != 1:
        raise ValueError(f"server {server.name!r}: the pipe format has exactly one network")
    if server.powervm or server.metadata or server.collocation_rule:
        raise ValueError(f"server {server.name!r}: the pipe format has no overrides or metadata")
    fields = [
        ("flavor_name", server.template),
        ("vm_name", server.name),
        ("image_name", server.image),
        ("vlan_name", server.networks[0].name),
    ]
    fields += [("lun_spec", group) for group in _lun_groups(spec, server)]
    fields += [
        ("host_name", server.host or ""),
        ("host_group", server.host_group or ""),
        ("storage_connectivity_group", server.storage_connectivity_group or ""),
    ]
    if server.fixed_ip:
        fields.append(("fixed_ip", server.fixed_ip))
    if server.user_data:
        fields.append(("user_data", server.user_data))
    for key, value in fields:
        _check_text(value, key, server.name, "")
    return "|".join(f"{key}={value}" for key, value in fields)


def _lun_groups(spec: DeploymentSpec, server: ServerSpec) -> list[str]:
    counters: dict[tuple[str, bool], int] = {}
    groups: list[tuple[int, str]] = []  # (count, rest) merged when consecutive and equal
    for name in server.volumes:
        volume = spec.volumes[name]
        prefix = _prefix_of(name, server.name, volume.shared)
        n = counters.get((prefix, volume.shared), 0) + 1
        if not prefix or name != _volume_name(prefix, server.name, volume.shared, n):
            raise ValueError(f"volume {name!r} of {server.name!r} breaks the naming rules")
        counters[(prefix, volume.shared)] = n
        for text in (prefix, volume.storage_template or ""):
            _check_text(text, "lun_spec", server.name, ":;")
        _check_text(volume.description or "", "lun_spec", server.name, ";")
        rest = ":".join(
            (
                str(volume.size_gb),
                volume.storage_template or "",
                prefix,
                "shared" if volume.shared else "",
                volume.description or "",
            )
        )
        if groups and groups[-1][1] == rest:
            groups[-1] = (groups[-1][0] + 1, rest)
        else:
            groups.append((1, rest))
    return [f"{count}:{rest}" for count, rest in groups]


def _prefix_of(name: str, vm: str, shared: bool) -> str:
    marker = "-shared-" if shared else f"-{vm}-"
    prefix, found, number = name.rpartition(marker)
    return prefix if found and prefix and number.isdigit() else ""


def _check_text(value: str, key: str, server: str, forbidden: str) -> None:
    bad = set(forbidden) | {"|", "\n", "\r"}
    if value != value.strip() or any(char in bad for char in value):
        raise ValueError(f"server {server!r}: {key} value {value!r} cannot be written")
