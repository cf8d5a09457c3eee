"""nova's `os-hosts` changes (deprecated at 2.43): `PUT /os-hosts/{host}` (status and
maintenance_mode) and `GET /os-hosts/{host}/startup|shutdown|reboot`.

nova passes them to the compute driver, and the PowerVM driver implements none of them (a
PowerVC host goes into maintenance through PowerVC's own `hypervisor_maintenance` API), so
after nova's schema, policy and host checks the answer is nova's 501.
"""

from __future__ import annotations

from powerbridge.emulator.api.compute.hypervisors import before_2_43
from powerbridge.emulator.api.routing import Call, Handler, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import ApiError, not_found

_SWITCH = {
    "type": "string",
    "enum": ["enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE"],
}
UPDATE = Schema(
    "host",
    {
        "type": "object",
        "properties": {"status": _SWITCH, "maintenance_mode": _SWITCH},
        "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
        "additionalProperties": False,
    },
)


def _host(call: Call, action: str) -> str:
    before_2_43(call)
    require_policy_admin(call.auth, f"os_compute_api:os-hosts:{action}")
    name = call.params["host_name"]
    if call.emulator.hosts.by_display_name(name) is None:
        raise not_found(f"Compute host {name} could not be found.")
    return name


def _not_implemented(message: str) -> ApiError:
    return ApiError("notImplemented", message, status=501)


def update_host(call: Call) -> Reply:
    before_2_43(call)
    UPDATE.check(call.body)
    _host(call, "update")
    if "maintenance_mode" in call.body:
        raise _not_implemented("Virt driver does not implement host maintenance mode.")
    raise _not_implemented("Virt driver does not implement host disabled status.")


def power_action(action: str) -> Handler:
    def act(call: Call) -> Reply:
        _host(call, action)
        raise _not_implemented("Virt driver does not implement host power management.")

    act.__name__ = f"host_{action}"
    return act


startup = power_action("start")
shutdown = power_action("shutdown")
reboot = power_action("reboot")
