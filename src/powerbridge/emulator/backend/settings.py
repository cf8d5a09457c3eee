"""The services' settings, as their configuration files gave them when the service started.

`emulator.service_config` reads `etc/nova/*.conf` and `etc/cinder/*.conf`; the backends only
see the parsed values here, so they stay free of files. `ServiceSettings` is the one holder
the backends share: a service (re)start replaces its part, which is why a changed file takes
effect at `powervc-services nova restart` and not before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# the keys PowerVC's (and nova's) instance_name_template may name
TEMPLATE_KEYS = ("display_name", "name", "uuid", "seq", "id")


@dataclass(frozen=True)
class NovaSettings:
    """nova.conf's `[DEFAULT] instance_name_template`, and each host's own where its file
    (nova-<MTM-SN>.conf, read after nova.conf) sets one."""

    instance_name_template: str
    host_templates: dict[str, str] = field(default_factory=dict)

    def template_for(self, host: str | None) -> str:
        if host is not None and host in self.host_templates:
            return self.host_templates[host]
        return self.instance_name_template


@dataclass(frozen=True)
class CinderSettings:
    """Each storage provider's management address (`san_ip` of its cinder file)."""

    provider_ips: dict[str, str] = field(default_factory=dict)


@dataclass
class ServiceSettings:
    nova: NovaSettings
    cinder: CinderSettings = field(default_factory=CinderSettings)


def instance_name(template: str, display_name: str, server_id: str, seq: int) -> str:
    """The LPAR name: `template` applied as nova applies instance_name_template (a positional
    template such as nova's `instance-%08x` takes the sequence number; a named one the keys)."""
    try:
        return str(template % seq)
    except TypeError:
        pass
    try:
        return str(template % _template_values(display_name, server_id, seq))
    except (KeyError, ValueError, TypeError):
        return f"instance-{seq:08x}"


def template_problem(template: str) -> str | None:
    """Why `template` cannot name an instance (None: it can)."""
    try:
        template % 1
        return None
    except TypeError:
        pass
    except ValueError as problem:
        return f"{template!r} is not a valid template ({problem})"
    try:
        template % _template_values("vm", "00000000-0000-0000-0000-000000000000", 1)
    except KeyError as missing:
        return (
            f"{template!r} names the unknown key {missing.args[0]!r}; "
            f"the keys are {', '.join(TEMPLATE_KEYS)}"
        )
    except (ValueError, TypeError) as problem:
        return f"{template!r} is not a valid template ({problem})"
    return None


def _template_values(display_name: str, server_id: str, seq: int) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "name": display_name,
        "uuid": server_id,
        "seq": seq,
        "id": seq,
    }
