"""PowerVC storage connectivity groups: `/v2.1/<project>/storage-connectivity-groups[/detail]`,
show, create, update, delete, and the storage templates (volume types) a group can reach.

Bodies are wrapped in `storage_connectivity_group`; booleans may be sent as text (PowerVC's
examples do). Host membership is by VIOS (`vios_ids`, `<hypervisor_hostname>##<n>`); without
it, `auto_add_vios` (default) makes every host a member. `storage_providers` (provider names)
is the emulator's stand-in for fabric zoning: the providers the group reaches (empty: all).
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso_micro
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.backend.storage_connectivity import ConnectivityBackend, ConnectivityGroup
from powerbridge.emulator.errors import bad_request

WRAPPER = "storage_connectivity_group"


def _backend(call: Call) -> ConnectivityBackend:
    return call.emulator.connectivity


def scg_summary(group: ConnectivityGroup) -> dict[str, Any]:
    return {"id": group.id, "display_name": group.display_name}


def scg_detail(call: Call, group: ConnectivityGroup) -> dict[str, Any]:
    backend = _backend(call)
    members = backend.hosts(group)
    vios = backend.member_vios(group)
    hosts = call.emulator.hosts
    host_list = []
    for name in sorted(members):
        host = hosts.host(name)
        own = [v for v in vios if v.startswith(f"{name}##")]
        host_list.append(
            {
                "name": name,
                "host_display_name": host.display_name if host else name,
                "vios_list": [
                    {"id": v, "name": _vios_name(host.display_name if host else name, v)}
                    for v in own
                ],
            }
        )
    return {
        **scg_summary(group),
        "enabled": group.enabled,
        "auto_defined": group.auto_defined,
        "auto_add_vios": group.auto_add_vios,
        "fc_storage_access": group.fc_storage_access,
        "include_untagged": group.include_untagged,
        "port_tag": group.port_tag,
        "vios_redundancy": group.vios_redundancy,
        "exact_redundancy": group.exact_redundancy,
        "boot_connectivity": list(group.boot_connectivity),
        "data_connectivity": list(group.data_connectivity),
        "vios_ids": vios,
        "host_list": host_list,
        "created_at": iso_micro(group.created_at),
        "updated_at": iso_micro(group.updated_at),
    }


def _vios_name(display_name: str, vios_id: str) -> str:
    return f"{display_name}-vios{vios_id.rsplit('##', 1)[-1]}"


def _body(call: Call) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(WRAPPER), dict):
        raise bad_request(
            f"Invalid input for field/attribute {WRAPPER}: a JSON object "
            f'{{"{WRAPPER}": {{...}}}} is required.'
        )
    extra = sorted(set(body) - {WRAPPER})
    if extra:
        raise bad_request(f"Invalid input: additional property {extra[0]!r} is not allowed.")
    fields: dict[str, Any] = body[WRAPPER]
    return fields


def list_scgs(call: Call) -> Reply:
    rows = [scg_summary(g) for g in _backend(call).list_groups()]
    return Reply({"storage_connectivity_groups": rows})


def list_scgs_detail(call: Call) -> Reply:
    rows = [scg_detail(call, g) for g in _backend(call).list_groups()]
    return Reply({"storage_connectivity_groups": rows})


def create_scg(call: Call) -> Reply:
    require_policy_admin(call.auth, "storage_connectivity_group:create")
    group = _backend(call).create(_body(call))
    return Reply({WRAPPER: scg_detail(call, group)})


def show_scg(call: Call) -> Reply:
    group = _backend(call).get(call.params["scg_id"])
    return Reply({WRAPPER: scg_detail(call, group)})


def update_scg(call: Call) -> Reply:
    require_policy_admin(call.auth, "storage_connectivity_group:update")
    group = _backend(call).update(call.params["scg_id"], _body(call))
    return Reply({WRAPPER: scg_detail(call, group)})


def delete_scg(call: Call) -> Reply:
    require_policy_admin(call.auth, "storage_connectivity_group:delete")
    _backend(call).delete(call.params["scg_id"])
    return Reply(status=204)


def scg_volume_types(call: Call) -> Reply:
    """The storage templates on providers this group reaches."""
    backend = _backend(call)
    group = backend.get(call.params["scg_id"])
    types = call.emulator.volumes.types.values()
    rows = [
        {"id": t.id, "name": t.name, "extra_specs": dict(t.extra_specs)}
        for t in types
        if backend.reaches(group, t.provider)
    ]
    return Reply({"volume_types": rows})
