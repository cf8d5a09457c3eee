"""PowerVC's services as `powervc-services` controls them: which run, which are stopped.

PowerVC 2.x's service subsets (`powervc-services [services_subset] start|stop|restart|status`)
are declared here once. What a stopped one means, as PowerVC behaves behind its Apache proxy:

- httpd stopped: nothing answers on the HTTP ports (every connection is dropped at once);
- db stopped: every OpenStack service answers Apache's 503 page (none can reach its database);
- nova, cinder, glance or neutron stopped: that service's URLs answer Apache's 503 page;
  keystone runs inside httpd, so identity is down with httpd or db;
- nova stopped (or rabbitmq or db, which its RPC and records need): no compute work
  progresses: the lifecycle steps of servers and captures are held and resume at start;
  cinder (or rabbitmq or db) likewise holds volume and snapshot work.
The simulated AIX nodes are LPARs on the hosts, not PowerVC services: they keep running.

A service may fail to start (nova and cinder read their configuration files then; see
`service_config`): it stays down, `status` shows it `failed` with the reason, and the next start
tries again. What an admin stopped is kept in the store (`meta` key `services`), so it
survives an emulator restart; a failure is not kept: every emulator start tries again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from powerbridge.emulator.store import Store

# PowerVC 2.x's services_subset values, in powervc-services' order
SUBSETS = (
    "db",
    "rabbitmq",
    "httpd",
    "ego",
    "glance",
    "zookeeper",
    "cinder",
    "neutron",
    "nova",
    "ceilometer",
    "health",
    "gnocchi",
    "bumblebee",
    "ui-server",
    "blazar",
    "panko",
    "swift",
    "clerk",
    "validator",
    "squall",
    "placement",
    "remote",
)
OPERATIONS = ("start", "stop", "restart", "status")
META_KEY = "services"

# the emulator's API services and the subsets that must run for each to answer
_API_NEEDS = {
    "identity": ("db",),  # keystone runs inside httpd
    "compute": ("db", "nova"),
    "volume": ("db", "cinder"),
    "image": ("db", "glance"),
    "network": ("db", "neutron"),
}
# lifecycle topics (see lifecycle.Engine) and the subsets that carry their work out
_WORK_NEEDS = (
    (("server.", "image.capture"), ("db", "rabbitmq", "nova")),
    (("volume.", "snapshot."), ("db", "rabbitmq", "cinder")),
)


class ServiceNameError(ValueError):
    """A services_subset value PowerVC does not have."""


class ServiceStartError(Exception):
    """A service cannot start (a malformed configuration file): the message says why."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    active: bool
    since: float
    failure: str | None = None  # why the last start failed

    @property
    def state(self) -> str:
        if self.active:
            return "active (running)"
        return "failed (Result: exit-code)" if self.failure else "inactive (dead)"

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "name": self.name,
            "active": self.active,
            "state": self.state,
            "since": self.since,
        }
        if self.failure:
            wire["error"] = self.failure
        return wire


def check_subsets(names: Iterable[str]) -> tuple[str, ...]:
    """`names` (none: every subset) checked against PowerVC's, in PowerVC's order."""
    wanted = tuple(names)
    unknown = [name for name in wanted if name not in SUBSETS]
    if unknown:
        raise ServiceNameError(
            f"unknown service {unknown[0]!r}; the valid values are: {', '.join(SUBSETS)}"
        )
    return tuple(name for name in SUBSETS if name in wanted) if wanted else SUBSETS


class AdminServices:
    """Which PowerVC services run; `on_started` is called after a start (held work resumes)."""

    def __init__(self, store: Store, *, now: Callable[[], float] = time.time) -> None:
        self._store = store
        self._now = now
        self._on_started: list[Callable[[], None]] = []
        self._starters: dict[str, Callable[[], None]] = {}
        self._failed: dict[str, str] = {}  # service -> why its last start failed
        saved = json.loads(store.get_meta(META_KEY) or "{}")
        self._stopped: set[str] = set(saved.get("stopped", ()))
        self._since: dict[str, float] = {
            name: float(v) for name, v in saved.get("since", {}).items()
        }
        started = now()
        for name in SUBSETS:
            self._since.setdefault(name, started)

    def on_started(self, callback: Callable[[], None]) -> None:
        self._on_started.append(callback)

    def on_start(self, name: str, starter: Callable[[], None]) -> None:
        """`starter` runs each time `name` starts; a ServiceStartError keeps it down."""
        self._starters[check_subsets([name])[0]] = starter

    def boot(self) -> None:
        """The emulator starts: every service not stopped by an admin starts (its starter
        runs)."""
        self._run_starters([name for name in SUBSETS if name not in self._stopped], self._now())

    # -- the operations ------------------------------------------------------------------
    def stop(self, names: Sequence[str] = ()) -> list[ServiceStatus]:
        return self._set(check_subsets(names), running=False)

    def start(self, names: Sequence[str] = ()) -> list[ServiceStatus]:
        return self._set(check_subsets(names), running=True)

    def restart(self, names: Sequence[str] = ()) -> list[ServiceStatus]:
        subsets = check_subsets(names)
        self._set(subsets, running=False)
        return self._set(subsets, running=True)

    def status(self, names: Sequence[str] = ()) -> list[ServiceStatus]:
        return [
            ServiceStatus(name, self.running(name), self._since[name], self._failed.get(name))
            for name in check_subsets(names)
        ]

    def _set(self, subsets: tuple[str, ...], *, running: bool) -> list[ServiceStatus]:
        changed_at = self._now()
        for name in subsets:
            if self.running(name) != running:
                self._since[name] = changed_at
            self._failed.pop(name, None)
            if running:
                self._stopped.discard(name)
            else:
                self._stopped.add(name)
        if running:
            self._run_starters(subsets, changed_at)
        self._save()
        if running:
            for callback in self._on_started:
                callback()
        return self.status(subsets)

    def _run_starters(self, subsets: Sequence[str], changed_at: float) -> None:
        for name in subsets:
            starter = self._starters.get(name)
            if starter is None:
                continue
            try:
                starter()
            except ServiceStartError as problem:
                self._failed[name] = str(problem)
                self._since[name] = changed_at

    def _save(self) -> None:
        state = {"stopped": sorted(self._stopped), "since": self._since}
        self._store.set_meta(META_KEY, json.dumps(state, separators=(",", ":")))

    # -- what a stopped service means ----------------------------------------------------
    @property
    def stopped(self) -> list[str]:
        """The services not running: stopped by an admin, or failed to start."""
        return [name for name in SUBSETS if not self.running(name)]

    def running(self, name: str) -> bool:
        return name not in self._stopped and name not in self._failed

    @property
    def proxy_running(self) -> bool:
        """Whether httpd (Apache, in front of every PowerVC URL) answers at all."""
        return self.running("httpd")

    def api_unavailable(self, service: str) -> bool:
        """Whether the proxy answers 503 for an API service (`compute`, `volume`...)."""
        return any(not self.running(need) for need in _API_NEEDS.get(service, ()))

    def work_held(self, topic: str) -> bool:
        """Whether lifecycle work of `topic` waits for a service that is not running."""
        if not self._stopped and not self._failed:
            return False
        for prefixes, needs in _WORK_NEEDS:
            if topic.startswith(prefixes):
                return any(not self.running(need) for need in needs)
        return False
