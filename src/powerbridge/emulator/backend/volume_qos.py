"""cinder's QoS specs: named key/value sets with a consumer (front-end, back-end or both),
associated with volume types; an associated spec is deleted only with `force`."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import bad_request, conflict, not_found

CONSUMERS = ("front-end", "back-end", "both")


@dataclass
class QosSpec:
    id: str
    name: str
    consumer: str
    specs: dict[str, str] = field(default_factory=dict)
    volume_types: list[str] = field(default_factory=list)


class VolumeQos:
    def __init__(self, ctx: BackendContext, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.volumes = volumes
        self.specs = {body["id"]: QosSpec(**body) for body in ctx.store.load("volume_qos")}

    def _save(self, spec: QosSpec) -> None:
        self.ctx.store.put("volume_qos", spec.id, asdict(spec))

    def get(self, spec_id: str) -> QosSpec:
        spec = self.specs.get(spec_id)
        if spec is None:
            raise not_found(f"QoS Specs {spec_id} could not be found.")
        return spec

    def create(self, name: str, consumer: str, specs: dict[str, str]) -> QosSpec:
        if consumer not in CONSUMERS:
            raise bad_request(
                f"Invalid input received: Valid consumer of QoS specs are: {list(CONSUMERS)}"
            )
        if any(s.name == name for s in self.specs.values()):
            raise conflict(f"QoS Specs {name} already exists.")
        spec = QosSpec(str(uuid.uuid4()), name, consumer, dict(specs))
        self.specs[spec.id] = spec
        self._save(spec)
        return spec

    def set_keys(self, spec_id: str, changes: dict[str, str]) -> dict[str, str]:
        spec = self.get(spec_id)
        if "consumer" in changes:
            consumer = changes.pop("consumer")
            if consumer not in CONSUMERS:
                raise bad_request(
                    f"Invalid input received: Valid consumer of QoS specs are: {list(CONSUMERS)}"
                )
            spec.consumer = consumer
        spec.specs.update(changes)
        self._save(spec)
        return changes

    def delete_keys(self, spec_id: str, keys: list[str]) -> None:
        spec = self.get(spec_id)
        for key in keys:
            if key not in spec.specs:
                raise bad_request(f"Invalid input received: QoS spec {spec_id} has no key {key}.")
        for key in keys:
            del spec.specs[key]
        self._save(spec)

    def delete(self, spec_id: str, force: bool) -> None:
        spec = self.get(spec_id)
        if spec.volume_types and not force:
            raise bad_request(f"QoS Specs {spec_id} is still associated with entities.")
        del self.specs[spec_id]
        self.ctx.store.delete("volume_qos", spec_id)

    def associate(self, spec_id: str, type_id: str) -> None:
        spec = self.get(spec_id)
        self.volumes.volume_type_by_id(type_id)
        for other in self.specs.values():
            if type_id in other.volume_types and other.id != spec_id:
                raise bad_request(
                    f"Type {type_id} is already associated with another qos specs: {other.id}"
                )
        if type_id not in spec.volume_types:
            spec.volume_types.append(type_id)
            self._save(spec)

    def disassociate(self, spec_id: str, type_id: str | None) -> None:
        """One volume type, or (None) all of them."""
        spec = self.get(spec_id)
        if type_id is None:
            spec.volume_types.clear()
        elif type_id in spec.volume_types:
            spec.volume_types.remove(type_id)
        self._save(spec)

    def associations(self, spec_id: str) -> list[tuple[str, str]]:
        """(type id, type name) of each associated volume type that still exists."""
        types = self.volumes.types
        return [(t, types[t].name) for t in self.get(spec_id).volume_types if t in types]
