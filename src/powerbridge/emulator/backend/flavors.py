"""Compute templates: nova flavors whose `powervm:*` extra specs follow the PowerVM rules.

A flavor create or extra-spec change that breaks a rule is refused (400) with PowerVC's text;
an inline flavor on a deploy is checked later, by the server lifecycle, as PowerVC does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.errors import bad_request, conflict, not_found


@dataclass
class Flavor:
    id: str
    name: str
    ram: int
    vcpus: int
    disk: int
    ephemeral: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    projects: list[str] = field(default_factory=list)  # a private flavor's flavor access


def rule_violations(ram: int, vcpus: int, extra_specs: Mapping[str, Any]) -> str | None:
    """PowerVC's messages for every broken rule, joined, or None when the template is valid.

    The one wording of a refusal: a flavor create or extra-spec change answers it as a 400, a
    deploy or resize with the template goes to ERROR with it as the fault (processing units
    in 0.01 steps, 0.05 to 1.0 per virtual processor, as `powerbridge.powervm` states).
    """
    violations = powervm.check_template(ram, vcpus, extra_specs)
    return " ".join(v.message for v in violations) if violations else None


class FlavorBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.flavors: dict[str, Flavor] = {
            body["id"]: Flavor(**body) for body in ctx.store.load("flavor")
        }

    def seed(self, owner_project_id: str) -> None:
        for spec in self.ctx.estate.compute_templates:
            self.create(
                name=spec.name,
                ram=spec.ram,
                vcpus=spec.vcpus,
                disk=spec.disk,
                extra_specs=spec.extra_specs,
            )

    def _save(self, flavor: Flavor) -> None:
        self.ctx.store.put("flavor", flavor.id, asdict(flavor))

    def get(self, flavor_id: str) -> Flavor:
        flavor = self.flavors.get(flavor_id)
        if flavor is None:
            raise not_found(f"Flavor {flavor_id} could not be found.")
        return flavor

    def find(self, name_or_id: str) -> Flavor | None:
        if name_or_id in self.flavors:
            return self.flavors[name_or_id]
        return next((f for f in self.flavors.values() if f.name == name_or_id), None)

    def create(
        self,
        *,
        name: str,
        ram: int,
        vcpus: int,
        disk: int,
        flavor_id: str | None = None,
        ephemeral: int = 0,
        swap: int = 0,
        rxtx_factor: float = 1.0,
        is_public: bool = True,
        description: str | None = None,
        extra_specs: Mapping[str, str] | None = None,
    ) -> Flavor:
        flavor_id = flavor_id or str(uuid.uuid4())
        if flavor_id in self.flavors:
            raise conflict(f"Flavor with ID {flavor_id} already exists.")
        if any(f.name == name for f in self.flavors.values()):
            raise conflict(f"Flavor with name {name} already exists.")
        specs = dict(extra_specs or {})
        problem = rule_violations(ram, vcpus, specs)
        if problem:
            raise bad_request(problem)
        flavor = Flavor(
            flavor_id,
            name,
            ram,
            vcpus,
            disk,
            ephemeral,
            swap,
            rxtx_factor,
            is_public,
            description,
            specs,
            self.ctx.clock.now(),
        )
        self.flavors[flavor.id] = flavor
        self._save(flavor)
        return flavor

    def delete(self, flavor_id: str) -> None:
        self.get(flavor_id)
        del self.flavors[flavor_id]
        self.ctx.store.delete("flavor", flavor_id)

    def update_description(self, flavor_id: str, description: str | None) -> Flavor:
        flavor = self.get(flavor_id)
        flavor.description = description
        self._save(flavor)
        return flavor

    def set_extra_specs(self, flavor_id: str, specs: Mapping[str, str]) -> Flavor:
        flavor = self.get(flavor_id)
        merged = {**flavor.extra_specs, **specs}
        problem = rule_violations(flavor.ram, flavor.vcpus, merged)
        if problem:
            raise bad_request(problem)
        flavor.extra_specs = merged
        self._save(flavor)
        return flavor

    def delete_extra_spec(self, flavor_id: str, key: str) -> None:
        flavor = self.get(flavor_id)
        if key not in flavor.extra_specs:
            raise not_found(f"Flavor {flavor_id} has no extra specs with key {key}.")
        remaining = {k: v for k, v in flavor.extra_specs.items() if k != key}
        problem = rule_violations(flavor.ram, flavor.vcpus, remaining)
        if problem:
            raise bad_request(problem)
        flavor.extra_specs = remaining
        self._save(flavor)

    # -- flavor access (private flavors) ---------------------------------------------------
    def add_access(self, flavor_id: str, project_id: str) -> Flavor:
        flavor = self._private(flavor_id)
        if project_id in flavor.projects:
            raise conflict(
                f"Flavor access already exists for flavor {flavor_id} and project "
                f"{project_id} combination."
            )
        flavor.projects.append(project_id)
        self._save(flavor)
        return flavor

    def remove_access(self, flavor_id: str, project_id: str) -> Flavor:
        flavor = self._private(flavor_id)
        if project_id not in flavor.projects:
            raise not_found(f"Flavor access not found for {flavor_id} / {project_id} combination.")
        flavor.projects.remove(project_id)
        self._save(flavor)
        return flavor

    def _private(self, flavor_id: str) -> Flavor:
        flavor = self.get(flavor_id)
        if flavor.is_public:
            raise conflict("Can not add access to a public flavor.")
        return flavor

    def usable_by(self, flavor: Flavor, project_id: str | None, is_admin: bool) -> bool:
        return flavor.is_public or is_admin or (project_id in flavor.projects)
