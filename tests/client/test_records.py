"""The generic record builder (`powerbridge.client._records`): one declaration per field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from powerbridge.client import _records
from powerbridge.client._records import (
    WireRecord,
    build,
    computed,
    raw_payload,
    supplied,
    wire,
    wire_keys,
)
from powerbridge.client._wire import Record, opt_text, text


@dataclass(frozen=True)
class Part(WireRecord):
    serial: str
    count: int = 1


def _upper(value: Any) -> str:
    return text(value).upper()


def _owner(payload: Mapping[str, Any]) -> str | None:
    return opt_text(payload.get("owner")) or opt_text(payload.get("tenant_id"))


@dataclass(frozen=True)
class Machine(WireRecord):
    id: str
    name: str | None = None
    state: str | None = field(default=None, metadata=wire("OS-EXT:state"))
    status: str = field(default="", metadata=wire(conv=_upper))
    memory: int = 1024
    cores: int | None = None
    enabled: bool = True
    units: Decimal | None = None
    seen: datetime | None = None
    tags: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    owner: str | None = field(default=None, metadata=computed(_owner))
    main: Part = field(default_factory=lambda: Part(""))
    spare: Part | None = None
    parts: tuple[Part, ...] = ()
    raw: Mapping[str, Any] = raw_payload()


@dataclass(frozen=True)
class Slot(Record):
    rack: str = field(metadata=supplied())
    position: int = 0

    @classmethod
    def from_wire(cls, rack: str, body: Mapping[str, Any]) -> Slot:
        return build(cls, body, rack=rack)


def test_missing_keys_give_the_defaults() -> None:
    machine = Machine.from_wire({"id": "m1"})
    assert machine == Machine("m1", main=Part(""))
    assert machine.memory == 1024
    assert machine.enabled is True
    assert machine.spare is None
    assert machine.parts == ()


def test_a_field_reads_its_wire_name_not_its_own() -> None:
    machine = Machine.from_wire({"id": "m1", "OS-EXT:state": "active", "state": "ignored"})
    assert machine.state == "active"
    assert wire_keys(Machine) >= {"id", "OS-EXT:state", "status", "parts"}
    assert not wire_keys(Machine) & {"state", "owner", "raw"}


def test_values_are_converted_by_type_and_by_conv() -> None:
    machine = Machine.from_wire(
        {
            "id": 7,
            "name": "",
            "status": "build",
            "memory": "2048",
            "cores": "4",
            "enabled": "no",
            "units": "0.5",
            "seen": "2026-01-02T03:04:05Z",
            "tags": "gold",
            "labels": {"k": 1, "none": None},
        }
    )
    assert machine.id == "7"
    assert machine.name is None
    assert machine.status == "BUILD"
    assert (machine.memory, machine.cores, machine.enabled) == (2048, 4, False)
    assert machine.units == Decimal("0.5")
    assert machine.seen == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert machine.tags == ("gold",)
    assert machine.labels == {"k": "1", "none": ""}


def test_unparsable_values_fall_back_to_the_field_default() -> None:
    machine = Machine.from_wire({"id": "m", "memory": "lots", "enabled": "maybe", "seen": "x"})
    assert (machine.memory, machine.enabled, machine.seen) == (1024, True, None)


def test_nested_records_and_computed_fields() -> None:
    machine = Machine.from_wire(
        {
            "id": "m",
            "main": {"serial": "s0", "count": "2"},
            "spare": {},
            "parts": [{"serial": "s1"}, "not an object", {"serial": "s2", "count": 3}],
            "tenant_id": "p1",
        }
    )
    assert machine.main == Part("s0", 2)
    assert machine.spare is None  # an empty object is no spare
    assert machine.parts == (Part("s1"), Part("s2", 3))
    assert machine.owner == "p1"


def test_unknown_keys_are_ignored_and_kept_in_raw() -> None:
    payload = {"id": "m", "links": [{"rel": "self"}], "x-extension:thing": {"deep": 1}}
    machine = Machine.from_wire(payload)
    assert machine.raw is payload
    assert machine == Machine.from_wire({"id": "m"})  # raw is not compared
    assert "raw" not in repr(machine)
    assert "raw" not in machine.to_dict()


def test_a_supplied_field_comes_from_from_wire() -> None:
    assert Slot.from_wire("r1", {"position": "3", "rack": "ignored"}) == Slot("r1", 3)


def test_fields_are_resolved_once_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclass(frozen=True)
    class Fresh(WireRecord):
        id: str

    calls = []
    resolve = _records._annotations

    def counting(cls: type) -> Callable[[Any], Any]:
        calls.append(cls)
        return resolve(cls)

    monkeypatch.setattr(_records, "_annotations", counting)
    assert [Fresh.from_wire({"id": str(n)}).id for n in range(3)] == ["0", "1", "2"]
    assert calls == [Fresh]


def test_a_type_without_a_conversion_is_named_on_first_build() -> None:
    @dataclass(frozen=True)
    class Odd(WireRecord):
        id: str
        ratio: float = 0.0

    with pytest.raises(TypeError, match=r"Odd\.ratio: no conversion for <class 'float'>"):
        Odd.from_wire({"id": "x"})
