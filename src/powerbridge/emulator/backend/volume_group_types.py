"""cinder's group types and their group specs (generic volume groups, microversion 3.11+).

PowerVC's consistency groups are cinder's generic volume groups; after installation PowerVC
creates `default_grouptype` (consistent group snapshots enabled), which is also the type
`GET /group_types/default` answers (IBM PowerVC 2.1.1, "Consistency groups")."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.errors import ApiError, bad_request, conflict, not_found

DEFAULT_GROUP_TYPE = "default_grouptype"
CONSISTENT_SNAPSHOTS = {"consistent_group_snapshot_enabled": "<is> True"}


@dataclass
class GroupType:
    id: str
    name: str
    description: str | None = None
    is_public: bool = True
    group_specs: dict[str, str] = field(default_factory=dict)


def group_type_not_found(type_id: str) -> ApiError:
    return not_found(f"Group type with id {type_id} could not be found.")


class GroupTypes:
    """Group types, write-through in the store; the default one seeded once."""

    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.types = {body["id"]: GroupType(**body) for body in ctx.store.load("group_type")}
        if not self.types:
            self.create(
                DEFAULT_GROUP_TYPE,
                description="Default group type: consistency groups and their snapshots",
                is_public=True,
                group_specs=dict(CONSISTENT_SNAPSHOTS),
            )

    def _save(self, group_type: GroupType) -> None:
        self.ctx.store.put("group_type", group_type.id, asdict(group_type))

    def get(self, type_id: str) -> GroupType:
        found = self.types.get(type_id)
        if found is None:
            found = next((t for t in self.types.values() if t.name == type_id), None)
        if found is None:
            raise group_type_not_found(type_id)
        return found

    def default(self) -> GroupType:
        found = next((t for t in self.types.values() if t.name == DEFAULT_GROUP_TYPE), None)
        if found is None:
            raise not_found("Default group type can not be found.")
        return found

    def create(
        self,
        name: str,
        *,
        description: str | None,
        is_public: bool,
        group_specs: Mapping[str, str],
    ) -> GroupType:
        if any(t.name == name for t in self.types.values()):
            raise conflict(f"Group Type {name} already exists.")
        group_type = GroupType(
            id=str(uuid.uuid4()),
            name=name,
            description=description,
            is_public=is_public,
            group_specs=dict(group_specs),
        )
        self.types[group_type.id] = group_type
        self._save(group_type)
        return group_type

    def update(self, type_id: str, changes: Mapping[str, Any]) -> GroupType:
        group_type = self.get(type_id)
        name = changes.get("name")
        if name and any(t.name == name and t.id != group_type.id for t in self.types.values()):
            raise conflict(f"Group Type {name} already exists.")
        for key, value in changes.items():
            setattr(group_type, key, value)
        self._save(group_type)
        return group_type

    def delete(self, type_id: str, in_use: bool) -> None:
        group_type = self.get(type_id)
        if in_use:
            raise bad_request(
                f"Group Type {group_type.id} deletion is not allowed with groups using the type."
            )
        del self.types[group_type.id]
        self.ctx.store.delete("group_type", group_type.id)

    def set_specs(self, type_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        group_type = self.get(type_id)
        group_type.group_specs.update(specs)
        self._save(group_type)
        return dict(specs)

    def spec(self, type_id: str, key: str) -> str:
        group_type = self.get(type_id)
        if key not in group_type.group_specs:
            raise not_found(f"Group Type {group_type.id} has no specs with key {key}.")
        return group_type.group_specs[key]

    def delete_spec(self, type_id: str, key: str) -> None:
        self.spec(type_id, key)
        group_type = self.get(type_id)
        del group_type.group_specs[key]
        self._save(group_type)
