"""PowerVM rules on each compute template merged with a server's overrides and SCG.

The merged extra specs are checked with `powerbridge.powervm.check_template`, once per
(template, overrides, SCG); a server with overrides or an SCG then sends an inline flavor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeAlias

from powerbridge import powervm
from powerbridge.deploy.cloudview import ComputeTemplate, StorageConnectivityGroup
from powerbridge.deploy.model import ServerSpec
from powerbridge.deploy.plan_model import Kind
from powerbridge.deploy.planner.findings import Findings

__all__ = ["SCG_KEY", "TemplateCheck", "TemplateChecks"]

SCG_KEY: Final = powervm.Key.STORAGE_CONNECTIVITY_GROUP.value

_CheckKey: TypeAlias = tuple[str, tuple[tuple[str, str], ...], str | None]


@dataclass(frozen=True)
class TemplateCheck:
    """The rules' verdict; when there is no violation, the flavor and what a server claims."""

    violations: tuple[powervm.RuleViolation, ...]
    flavor: dict[str, Any] | None
    memory_mb: int
    proc_units: Decimal


class TemplateChecks:
    """Each server's template checked, each combination once; violations become issues."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.checks: dict[_CheckKey, TemplateCheck] = {}

    def check(
        self,
        server: ServerSpec,
        template: ComputeTemplate | None,
        scg: StorageConnectivityGroup | None,
    ) -> TemplateCheck | None:
        """The check of `server`'s template, or None when it has none or breaks a rule."""
        if template is None:
            return None
        chosen = server.storage_connectivity_group or server.powervm.get(SCG_KEY)
        scg_id = scg.id if scg is not None and chosen else None
        key: _CheckKey = (template.id, tuple(sorted(server.powervm.items())), scg_id)
        check = self.checks.get(key)
        if check is None:
            check = self.checks[key] = _check_template(template, server.powervm, scg_id)
        for violation in check.violations:
            message = f"{violation.field}: {violation.message}"
            message += _template_text(template, server.powervm)
            kind = Kind.COMPUTE_TEMPLATE
            self.findings.issue(kind, template.name, "powervm_rule", message, "server", server.name)
        return None if check.violations else check


def _check_template(
    template: ComputeTemplate, overrides: Mapping[str, str], scg_id: str | None
) -> TemplateCheck:
    """PowerVM rules on the template merged with the overrides (and the server's SCG)."""
    specs: dict[str, str] = {**template.extra_specs, **overrides}
    if scg_id is not None:
        specs[SCG_KEY] = scg_id
    violations = tuple(powervm.check_template(template.ram_mb, template.vcpus, specs))
    if violations:
        return TemplateCheck(violations, None, 0, Decimal(0))
    profile = powervm.parse_template(template.ram_mb, template.vcpus, specs)
    memory, units = powervm.resource_claim(profile)
    flavor = None
    if overrides or scg_id is not None:
        flavor = {
            "ram": template.ram_mb,
            "vcpus": template.vcpus,
            "disk": template.disk_gb,
            "extra_specs": specs,
        }
    return TemplateCheck((), flavor, memory, units)


def _template_text(template: ComputeTemplate, overrides: Mapping[str, str]) -> str:
    text = f" (compute template '{template.name}'"
    if overrides:
        text += " with overrides " + ", ".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    return text + ")"
