"""`os-hypervisors` (list, detail, show, statistics, search, servers, uptime) and the older
`os-hosts` views, reporting each host's real usage as servers come and go.

Hypervisors are named by their MTM-SN (`hypervisor_hostname`, also `service.host`); ids are
integers before microversion 2.53 and uuids from it. With the estate's
`hypervisor_powervc_fields` (default on) the bodies carry PowerVC's additions:
`service.host_display_name`, `proc_units`, `proc_units_used`, `proc_units_reserved`,
`memory_mb_reserved`, `hypervisor_state`, `maintenance_status`,
`maintenance_migration_action` and `compatibility_modes`.
"""

from __future__ import annotations

import json
from typing import Any

from powerbridge.emulator.api.compute.common import paginate
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.hosts import OPERATING, Host
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request, not_found
from powerbridge.emulator.estate import DEFAULT_ZONE

CPU_MODEL = {"8286": "POWER8", "8247": "POWER8", "9009": "POWER9", "9080": "POWER9"}


def _hosts(call: Call) -> list[Host]:
    require_policy_admin(call.auth, "os_compute_api:os-hypervisors")
    return list(call.emulator.hosts.hosts.values())


def _hypervisor_id(call: Call, host: Host) -> int | str:
    return host.uuid if call.at_least("2.53") else host.number


def _find(call: Call, ref: str) -> Host:
    for host in _hosts(call):
        if ref in (str(host.number), host.uuid):
            return host
    raise not_found(f"Hypervisor with ID '{ref}' could not be found.")


def summary(call: Call, host: Host) -> dict[str, Any]:
    return {
        "id": _hypervisor_id(call, host),
        "hypervisor_hostname": host.name,
        "state": "up" if host.spec.state == OPERATING else "down",
        "status": "enabled" if host.maintenance == "ok" else "disabled",
    }


def detail(call: Call, host: Host) -> dict[str, Any]:
    body = summary(call, host)
    service: dict[str, Any] = {
        "host": host.name,
        "id": host.uuid if call.at_least("2.53") else host.number,
        "disabled_reason": None if host.maintenance == "ok" else "maintenance mode",
    }
    body.update(
        {
            "cpu_info": _cpu_info(call, host),
            "current_workload": len(host.deploying) + len(host.waiting),
            "disk_available_least": 0,
            "free_disk_gb": 0,
            "free_ram_mb": host.memory_free_mb,
            "host_ip": host.host_ip,
            "hypervisor_type": "phyp",
            "hypervisor_version": 1,
            "local_gb": 0,
            "local_gb_used": 0,
            "memory_mb": host.spec.memory_mb,
            "memory_mb_used": host.memory_used_mb,
            "running_vms": len(host.servers),
            "service": service,
            "vcpus": host.spec.processors,
            "vcpus_used": host.vcpus_used,
        }
    )
    if call.emulator.estate.hypervisor_powervc_fields:
        service["host_display_name"] = host.display_name
        body.update(_powervc_fields(host))
    return body


def _powervc_fields(host: Host) -> dict[str, Any]:
    return {
        "proc_units": f"{host.units_total:.2f}",
        "proc_units_used": f"{host.units_used:.2f}",
        "proc_units_reserved": "0.00",
        "memory_mb_reserved": 0,
        "hypervisor_state": host.spec.state,
        "maintenance_status": host.maintenance,
        "maintenance_migration_action": host.maintenance_action,
        "compatibility_modes": list(host.spec.processor_compatibility_modes),
    }


def _cpu_info(call: Call, host: Host) -> dict[str, Any] | str:
    model = CPU_MODEL.get(host.name[:4], "POWER9")
    info = {
        "arch": "ppc64",
        "model": model,
        "vendor": "IBM",
        "features": [],
        "topology": {"cores": host.spec.processors, "threads": 8, "sockets": 1},
    }
    return info if call.at_least("2.28") else json.dumps(info)


def _with_servers(call: Call, host: Host, body: dict[str, Any]) -> dict[str, Any]:
    servers = call.emulator.compute.servers
    rows = [
        {"uuid": sid, "name": servers[sid].name}
        for sid in sorted(host.servers)
        if sid in servers and not servers[sid].deleted
    ]
    if rows:
        body["servers"] = rows
    return body


def _listing(call: Call, collection: str, *, detailed: bool) -> Reply:
    hosts = _hosts(call)
    pattern = call.query.get("hypervisor_hostname_pattern") if call.at_least("2.53") else None
    if pattern is not None:
        hosts = [h for h in hosts if pattern in h.name]
        if not hosts:
            raise not_found(f"No hypervisor matching '{pattern}' could be found.")
    links: list[dict[str, str]] = []
    if call.at_least("2.33"):
        hosts, links = paginate(call, hosts, collection, lambda h: str(_hypervisor_id(call, h)))
    with_servers = call.at_least("2.53") and _flag(call.query.get("with_servers"))
    rows = []
    for host in hosts:
        row = detail(call, host) if detailed else summary(call, host)
        rows.append(_with_servers(call, host, row) if with_servers else row)
    body: dict[str, Any] = {"hypervisors": rows}
    if links:
        body["hypervisors_links"] = links
    return Reply(body)


def _flag(value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise bad_request(f"Invalid input for query parameters with_servers. Value: {value}.")


def list_hypervisors(call: Call) -> Reply:
    return _listing(call, "os-hypervisors", detailed=False)


def list_hypervisors_detail(call: Call) -> Reply:
    return _listing(call, "os-hypervisors/detail", detailed=True)


def hypervisor_statistics(call: Call) -> Reply:
    hosts = _hosts(call)
    totals = {
        "count": len(hosts),
        "current_workload": sum(len(h.deploying) + len(h.waiting) for h in hosts),
        "disk_available_least": 0,
        "free_disk_gb": 0,
        "free_ram_mb": sum(h.memory_free_mb for h in hosts),
        "local_gb": 0,
        "local_gb_used": 0,
        "memory_mb": sum(h.spec.memory_mb for h in hosts),
        "memory_mb_used": sum(h.memory_used_mb for h in hosts),
        "running_vms": sum(len(h.servers) for h in hosts),
        "vcpus": sum(h.spec.processors for h in hosts),
        "vcpus_used": sum(h.vcpus_used for h in hosts),
    }
    return Reply({"hypervisor_statistics": totals})


def show_hypervisor(call: Call) -> Reply:
    host = _find(call, call.params["hypervisor_id"])
    body = detail(call, host)
    if call.at_least("2.53") and _flag(call.query.get("with_servers")):
        body = _with_servers(call, host, body)
    return Reply({"hypervisor": body})


HOST_UP_DAYS_AT_START = 391


def hypervisor_uptime(call: Call) -> Reply:
    host = _find(call, call.params["hypervisor_id"])
    clock = call.emulator.clock  # up since before the emulator started: the same every run
    days = HOST_UP_DAYS_AT_START + int((clock.now() - clock.base) // 86400)
    uptime = f" 08:32:11 up {days} days,  2:11,  0 users,  load average: 0.10, 0.08, 0.05"
    return Reply({"hypervisor": {**summary(call, host), "uptime": uptime}})


def _matching(call: Call, pattern: str) -> list[Host]:
    if call.at_least("2.53"):
        raise not_found("The resource could not be found.")  # removed in 2.53
    hosts = [h for h in _hosts(call) if pattern in h.name]
    if not hosts:
        raise not_found(f"No hypervisor matching '{pattern}' could be found.")
    return hosts


def search_hypervisors(call: Call) -> Reply:
    hosts = _matching(call, call.params["pattern"])
    return Reply({"hypervisors": [summary(call, h) for h in hosts]})


def hypervisor_servers(call: Call) -> Reply:
    hosts = _matching(call, call.params["pattern"])
    return Reply({"hypervisors": [_with_servers(call, h, summary(call, h)) for h in hosts]})


# -- os-hosts (deprecated by nova in 2.43; PowerVC scripts still call it) ------------------
def before_2_43(call: Call) -> None:
    if call.at_least("2.43"):
        raise not_found("The resource could not be found.")


def list_hosts(call: Call) -> Reply:
    before_2_43(call)
    scheduler = call.emulator.scheduler
    rows = [
        {
            "host_name": h.name,
            "service": "compute",
            "zone": scheduler.zone_of(h.name) or DEFAULT_ZONE,
        }
        for h in _hosts(call)
    ]
    zone = call.query.get("zone")  # nova's only filter here
    if zone:
        rows = [row for row in rows if row["zone"] == zone]
    return Reply({"hosts": rows})


def show_host(call: Call) -> Reply:
    before_2_43(call)
    host = call.emulator.hosts.by_display_name(call.params["host_name"])
    if host is None or host not in _hosts(call):
        raise not_found(f"Compute host {call.params['host_name']} could not be found.")
    used = {"cpu": host.vcpus_used, "memory_mb": host.memory_used_mb, "disk_gb": 0}
    rows = [
        _resource(host, "(total)", host.spec.processors, host.spec.memory_mb),
        _resource(host, "(used_now)", used["cpu"], used["memory_mb"]),
        _resource(host, "(used_max)", used["cpu"], used["memory_mb"]),
    ]
    return Reply({"host": rows})


def _resource(host: Host, project: str, cpu: int, memory_mb: int) -> dict[str, Any]:
    return {
        "resource": {
            "host": host.name,
            "project": project,
            "cpu": cpu,
            "memory_mb": memory_mb,
            "disk_gb": 0,
        }
    }
