"""One builder for every SDK record read from the wire: each field is declared once.

A record is a frozen dataclass deriving from `WireRecord`. A field says its payload key only
when it differs from the field's name, and its conversion only when its type does not say it:

    task_state: str | None = field(default=None, metadata=wire("OS-EXT-STS:task_state"))
    status: str = field(metadata=wire(conv=upper_text))
    project_id: str | None = field(default=None, metadata=computed(project_of))
    powervm: PowerVMSpec | None = field(default=None, metadata=supplied())
    raw: Mapping[str, Any] = raw_payload()

`computed(f)` fills the field with `f(payload)` (fallback keys, values nested deeper);
`supplied()` leaves it to the record's own `from_wire` (an argument, a value derived from other
fields), which passes it to `build` (or to `dataclasses.replace` once the other fields are
read). Keys no field reads are ignored.

The conversions a type implies (lenient, see `_wire`): str, str | None, int, int | None, bool,
datetime | None, Decimal | None, tuple[str, ...], Mapping[str, str], a WireRecord (from the
payload's object, empty when absent), WireRecord | None (None when that object is absent or
empty) and tuple[WireRecord, ...]. An int or bool that is missing or does not parse is the
field's default (0, False without one). Any other type needs a conv: without one the class's
first build raises TypeError naming the field.

Fields are resolved once per class, on its first build, not per payload.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Self, TypeVar

from powerbridge.client import _wire
from powerbridge.client._wire import Record

Convert = Callable[[Any], Any]
R = TypeVar("R", bound=Record)
T = TypeVar("T")

_READING = "powerbridge.client.reading"  # the field metadata key
_BY_TYPE: Mapping[Any, Convert] = {
    str: _wire.text,
    str | None: _wire.opt_text,
    int | None: _wire.opt_int,
    datetime | None: _wire.timestamp,
    Decimal | None: _wire.as_decimal,
    tuple[str, ...]: _wire.strings,
    Mapping[str, str]: _wire.text_map,
}


@dataclasses.dataclass(frozen=True)
class _Reading:
    """How the builder fills one field: `conv(payload.get(key))`, `conv(payload)` (`whole`),
    or not at all (`supplied`: the record's `from_wire` passes the value)."""

    key: str | None = None
    conv: Convert | None = None
    whole: bool = False
    supplied: bool = False


_DEFAULT_READING = _Reading()


def wire(key: str | None = None, *, conv: Convert | None = None) -> dict[str, _Reading]:
    """Field metadata: read the payload's `key` (default: the field's name) through `conv`
    (default: the conversion the field's type implies)."""
    return {_READING: _Reading(key, conv)}


def computed(conv: Convert) -> dict[str, _Reading]:
    """Field metadata: the field is `conv(payload)`, computed from the whole payload."""
    return {_READING: _Reading(conv=conv, whole=True)}


def supplied() -> dict[str, _Reading]:
    """Field metadata: the record's `from_wire` passes this field to `build`."""
    return {_READING: _Reading(supplied=True)}


def _same(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    return payload


def raw_payload() -> Any:
    """The `raw` field: the payload the record was built from (not in repr, not compared)."""
    return dataclasses.field(
        default_factory=dict, repr=False, compare=False, metadata=computed(_same)
    )


class WireRecord(Record):
    """A record read from its wire payload: `from_wire(body)` is `build(cls, body)`."""

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> Self:
        return build(cls, body)


def build(cls: type[R], payload: Mapping[str, Any], **given: Any) -> R:
    """A `cls` from `payload`, each field read as its declaration says; `given` fields (the
    `supplied` ones, or any a caller overrides) are taken as they are."""
    record_class: type = cls  # a class is hashable; mypy cannot tell for type[R]
    keyed, whole = _plan(record_class)
    values = {name: conv(payload.get(key)) for name, key, conv in keyed}
    for name, conv in whole:
        values[name] = conv(payload)
    values.update(given)
    return cls(**values)


def wire_keys(cls: type) -> frozenset[str]:
    """The payload keys `cls`'s fields are read from (computed and supplied fields aside)."""
    readings = ((f, _reading(f)) for f in dataclasses.fields(cls))
    return frozenset(r.key or f.name for f, r in readings if not (r.whole or r.supplied))


_Keyed = tuple[tuple[str, str, Convert], ...]
_Whole = tuple[tuple[str, Convert], ...]


# a class's fields never change, so resolving them once per class is safe to share
@functools.cache
def _plan(cls: type) -> tuple[_Keyed, _Whole]:
    hint = _annotations(cls)
    keyed: list[tuple[str, str, Convert]] = []
    whole: list[tuple[str, Convert]] = []
    for f in dataclasses.fields(cls):
        reading = _reading(f)
        if reading.supplied:
            continue
        if reading.whole:
            assert reading.conv is not None  # computed() requires one
            whole.append((f.name, reading.conv))
            continue
        conv = reading.conv or _implied(hint(f.type), f.default)
        if conv is None:
            raise TypeError(
                f"{cls.__name__}.{f.name}: no conversion for {hint(f.type)}; "
                "declare one with wire(conv=...)"
            )
        keyed.append((f.name, reading.key or f.name, conv))
    return tuple(keyed), tuple(whole)


def _annotations(cls: type) -> Callable[[Any], Any]:
    """The type an annotation of `cls` names. Each distinct annotation text is evaluated once,
    and only for the fields that need their type: `typing.get_type_hints` evaluates every
    field's, four times slower, and this runs before a CLI's first result."""
    namespace = vars(sys.modules[cls.__module__])
    evaluated: dict[str, Any] = {}

    def hint(annotation: Any) -> Any:
        if not isinstance(annotation, str):
            return annotation
        if annotation not in evaluated:
            evaluated[annotation] = eval(annotation, namespace)
        return evaluated[annotation]

    return hint


def _reading(f: dataclasses.Field[Any]) -> _Reading:
    found = f.metadata.get(_READING, _DEFAULT_READING)
    assert isinstance(found, _Reading)
    return found


def _implied(hint: Any, default: Any) -> Convert | None:
    """The conversion a field's type implies (None when it implies none); `default` is the
    field's default (`dataclasses.MISSING` when it has none)."""
    if hint is bool:
        return _or_default(_wire.as_bool, default is True)
    if hint is int:
        return _or_default(_wire.as_int, default if type(default) is int else 0)
    if hint in _BY_TYPE:
        return _BY_TYPE[hint]
    if _is_record(hint):
        return functools.partial(_nested, hint)
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin is types.UnionType and len(args) == 2 and args[1] is type(None):
        return functools.partial(_optional, args[0]) if _is_record(args[0]) else None
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and _is_record(args[0]):
        return functools.partial(_each, args[0])
    return None


def _or_default(convert: Callable[[Any, T], T], default: T) -> Convert:
    # a closure, not functools.partial: a partial with a keyword costs twice the call
    return lambda value: convert(value, default)


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, WireRecord)


def _nested(cls: type[WireRecord], value: Any) -> WireRecord:
    return cls.from_wire(_wire.as_object(value))


def _optional(cls: type[WireRecord], value: Any) -> WireRecord | None:
    found = _wire.as_object(value)
    return cls.from_wire(found) if found else None


def _each(cls: type[WireRecord], value: Any) -> tuple[WireRecord, ...]:
    return tuple(cls.from_wire(item) for item in _wire.objects(value))
