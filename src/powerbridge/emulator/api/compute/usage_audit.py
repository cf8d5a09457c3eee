"""nova's `os-instance_usage_audit_log` (admin): the last completed monthly audit period.

PowerVC's nova runs without `instance_usage_audit`, so no host has ever run an audit: every
compute host is listed in `hosts_not_run`, as nova reports it then."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request

_FORMAT = "%Y-%m-%d %H:%M:%S"


def _last_month(before: datetime) -> tuple[datetime, datetime]:
    """nova's last_completed_audit_period with the default unit, month."""
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    return end.replace(year=year, month=month), end


def _log(call: Call, before: datetime) -> dict[str, Any]:
    require_policy_admin(call.auth, "os_compute_api:os-instance-usage-audit-log")
    hosts = sorted(call.emulator.hosts.hosts)
    begin, end = _last_month(before)
    return {
        "hosts_not_run": hosts,
        "log": {},
        "num_hosts": len(hosts),
        "num_hosts_done": 0,
        "num_hosts_not_run": len(hosts),
        "num_hosts_running": 0,
        "overall_status": f"0 of {len(hosts)} hosts done. 0 errors.",
        "period_beginning": begin.strftime(_FORMAT),
        "period_ending": end.strftime(_FORMAT),
        "total_errors": 0,
        "total_instances": 0,
    }


def list_logs(call: Call) -> Reply:
    now = datetime.fromtimestamp(call.emulator.clock.now(), UTC)
    return Reply({"instance_usage_audit_logs": _log(call, now)})


def show_log(call: Call) -> Reply:
    raw = unquote(call.params["before_timestamp"])
    for pattern in (_FORMAT, _FORMAT + ".%f"):
        try:
            before = datetime.strptime(raw, pattern).replace(tzinfo=UTC)
            break
        except ValueError:
            continue
    else:
        raise bad_request(f"Invalid timestamp for date {raw}")
    return Reply({"instance_usage_audit_log": _log(call, before)})
