"""The Dynamic Resource Optimizer's settings and arithmetic, pure (no state, no I/O).

A host group's settings are its aggregate metadata (`openstack aggregate set --property
dro_enabled=true ...`): `dro_enabled` (default false: PowerVC's DRO is off on host groups by
default), `dro_mode` (`advise`: record what it would do; `active` or `automatic`: live-migrate),
`dro_metric` (`cpu` or `memory`), `dro_threshold` (percent of the host's capacity, default 70),
`dro_run_interval` (emulated seconds between runs, default 300) and `dro_stabilization` (runs a
host must be over the threshold before DRO acts, default 3, as PowerVC's default). A VM whose
metadata has `dro_enabled: false` (PowerVC's deploy metadata key) is left alone, as is a pinned
one.

A host's load is the sum over its VMs of the VM's allocation (desired processing units or
memory) times the VM's declared utilization (1.0 unless the admin API declared one), over the
host's capacity: without declarations DRO balances allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from powerbridge.emulator.errors import bad_request

MODES = {"advise": "advise", "active": "active", "automatic": "active"}
METRICS = ("cpu", "memory")


@dataclass(frozen=True)
class DroSettings:
    enabled: bool = False
    mode: str = "advise"
    metric: str = "cpu"
    threshold: float = 70.0
    run_interval: float = 300.0
    stabilization: int = 3


def _number(metadata: dict[str, str], key: str, default: float, low: float, high: float) -> float:
    text = metadata.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise bad_request(f"Invalid host group metadata {key}={text!r}: give {low:g} to {high:g}.")
    return value


def settings_of(metadata: dict[str, str]) -> DroSettings:
    """The group's settings; a bad value is a 400 naming the key (checked when it is set)."""
    mode = metadata.get("dro_mode", "advise").strip().lower()
    if mode not in MODES:
        raise bad_request(
            f"Invalid host group metadata dro_mode={mode!r}: give advise, active or automatic."
        )
    metric = metadata.get("dro_metric", "cpu").strip().lower()
    if metric not in METRICS:
        raise bad_request(f"Invalid host group metadata dro_metric={metric!r}: give cpu or memory.")
    return DroSettings(
        enabled=metadata.get("dro_enabled", "false").strip().lower() in ("true", "1", "yes"),
        mode=MODES[mode],
        metric=metric,
        threshold=_number(metadata, "dro_threshold", 70.0, 1, 100),
        run_interval=_number(metadata, "dro_run_interval", 300.0, 1, 86_400),
        stabilization=int(_number(metadata, "dro_stabilization", 3, 1, 100)),
    )


@dataclass(frozen=True)
class Load:
    """One VM's share of its host for the metric: allocation times utilization."""

    server_id: str
    amount: Decimal


def percent(total: Decimal, capacity: Decimal) -> float:
    return float(100 * total / capacity) if capacity > 0 else 0.0


def choose_vm(
    loads: list[Load], host_total: Decimal, capacity: Decimal, threshold: float
) -> list[Load]:
    """PowerVC's order of candidates: first the VMs whose move alone would bring the host under
    the threshold (the smallest such first), then the others (the largest first)."""
    enough = [load for load in loads if percent(host_total - load.amount, capacity) <= threshold]
    rest = [load for load in loads if load not in enough]
    return sorted(enough, key=lambda c: c.amount) + sorted(rest, key=lambda c: -c.amount)
