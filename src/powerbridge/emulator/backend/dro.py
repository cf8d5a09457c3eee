"""The Dynamic Resource Optimizer, per host group, on the emulator's clock (settings and
arithmetic in `dro_rules`). Each run, for every enabled group: a host over its threshold for
`stabilization` runs in a row is violated; DRO picks one of its VMs (not pinned, not excluded,
idle, not in an affinity rule with other members) and the target host of the group with the
lowest load after the move that stays under the threshold (anti-affinity honoured by the
scheduler's migration placement). In advise mode it records the recommendation; in active mode
it live-migrates the VM. Every run that finds a violation records a `dro-events` row.

Runs are scheduled only while some group has DRO enabled (none by default), so an estate
without DRO has no pending work on its clock.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from decimal import Decimal

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.dro_rules import (
    DroSettings,
    Load,
    choose_vm,
    percent,
    settings_of,
)
from powerbridge.emulator.backend.host_groups import HostGroup, HostGroupBackend
from powerbridge.emulator.backend.hosts import Host, HostInventory, NoValidHost
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.migration import LiveMigrations
from powerbridge.emulator.backend.pinning import automation_may_move
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.server_records import Server
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate_utilization import declared

TOPIC = "dro.run"


@dataclass
class DroEvent:
    id: int
    time: float
    host_group: str
    host: str
    event_type: str  # advise | migration | migration_failed | no_action
    mode: str
    metric: str
    value: float  # the host's load, percent
    threshold: float
    server_id: str | None = None
    server_name: str | None = None
    target_host: str | None = None
    message: str = ""


class Optimizer:
    def __init__(
        self,
        ctx: BackendContext,
        registry: ServerRegistry,
        *,
        hosts: HostInventory,
        host_groups: HostGroupBackend,
        server_groups: ServerGroupBackend,
        migrations: LiveMigrations,
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.hosts = hosts
        self.host_groups = host_groups
        self.server_groups = server_groups
        self.migrations = migrations
        self.events = [DroEvent(**b) for b in ctx.store.load("dro_event")]
        self.events.sort(key=lambda e: e.id)
        self._ids = itertools.count(max((e.id for e in self.events), default=0) + 1)
        self.utilization: dict[str, dict[str, float]] = {
            b["server_id"]: b["values"] for b in ctx.store.load("dro_utilization")
        }
        self._over: dict[str, int] = {}  # host -> runs in a row over its threshold
        self._next_run: dict[int, float] = {}  # host group id -> when it runs next
        self._scheduled: float | None = None
        ctx.engine.on(TOPIC, self._run)
        self.refresh()

    # -- settings and declared utilization -------------------------------------------------
    def settings(self, group: HostGroup) -> DroSettings:
        try:
            return settings_of(group.metadata)
        except ApiError:
            return DroSettings()  # a bad value is refused when set; an old one disables DRO

    def declare(self, server_id: str, values: dict[str, float]) -> None:
        """The admin API's per-VM utilization (fractions of its allocation, 0..1)."""
        self.utilization[server_id] = dict(values)
        self.ctx.store.put("dro_utilization", server_id, {"server_id": server_id, "values": values})

    def utilization_of(self, server: Server, metric: str) -> float:
        """The admin API's declaration for this VM, else the estate's first matching entry,
        else 1.0 (the VM uses all it was allocated)."""
        own = self.utilization.get(server.id, {}).get(metric)
        if own is not None:
            return own
        from_estate = declared(self.ctx.estate.utilization, server.name, metric)
        return 1.0 if from_estate is None else from_estate

    def refresh(self) -> None:
        """(Re)plan the next run after a host group's settings changed."""
        now = self.ctx.clock.now()
        enabled = {g.id: self.settings(g) for g in self.host_groups.groups.values()}
        enabled = {gid: s for gid, s in enabled.items() if s.enabled}
        self._next_run = {
            gid: self._next_run.get(gid) or now + self._span(s.run_interval)
            for gid, s in enabled.items()
        }
        self._plan()

    def _span(self, seconds: float) -> float:
        # the instant clock makes durations zero: a periodic run there follows wall time
        clock = self.ctx.clock
        return seconds if clock.mode == "instant" else clock.duration(seconds)

    def _plan(self) -> None:
        due = min(self._next_run.values(), default=None)
        if due is not None and (self._scheduled is None or due < self._scheduled):
            self._scheduled = due
            self.ctx.engine.schedule(due, TOPIC, "all")

    # -- a run -----------------------------------------------------------------------------
    def _run(self, _key: str, due: float) -> None:
        if self._scheduled != due:
            return  # superseded by an earlier plan
        self._scheduled = None
        for group in list(self.host_groups.groups.values()):
            settings = self.settings(group)
            if not settings.enabled or self._next_run.get(group.id, due + 1) > due:
                continue
            self._next_run[group.id] = due + self._span(settings.run_interval)
            self._optimize(group, settings, due)
        self._next_run = {
            gid: t for gid, t in self._next_run.items() if gid in self.host_groups.groups
        }
        self._plan()

    def _optimize(self, group: HostGroup, settings: DroSettings, now: float) -> None:
        members = [h for h in map(self.hosts.host, self.host_groups.hosts_of(group)) if h]
        for host in sorted(members, key=lambda h: -self._percent(h, settings.metric)):
            value = self._percent(host, settings.metric)
            if value <= settings.threshold:
                self._over.pop(host.name, None)
                continue
            self._over[host.name] = self._over.get(host.name, 0) + 1
            if self._over[host.name] >= settings.stabilization:
                self._relieve(group, host, members, settings, value, now)

    def _relieve(
        self,
        group: HostGroup,
        host: Host,
        members: list[Host],
        settings: DroSettings,
        value: float,
        now: float,
    ) -> None:
        capacity = self._capacity(host, settings.metric)
        loads = [self._load(s, settings.metric) for s in self._movable(host)]
        total = sum((self._load(s, settings.metric).amount for s in self._on(host)), Decimal(0))
        for load in choose_vm(loads, total, capacity, settings.threshold):
            target = self._target(host, members, load, settings)
            if target is not None:
                server = self.registry.find(load.server_id)
                assert server is not None
                self._act(group, host, server, target, settings, value, now)
                return
        self._record(
            group,
            host,
            settings,
            value,
            now,
            "no_action",
            message="No virtual machine can move to a host that stays under the threshold.",
        )

    def _act(
        self,
        group: HostGroup,
        host: Host,
        server: Server,
        target: Host,
        settings: DroSettings,
        value: float,
        now: float,
    ) -> None:
        if settings.mode == "advise":
            self._record(
                group,
                host,
                settings,
                value,
                now,
                "advise",
                server,
                target.name,
                f"Migrate {server.name} to {target.name} to bring {host.name} under "
                f"{settings.threshold:g}% {settings.metric}.",
            )
            return
        try:
            self.migrations.begin(server, target.name, _optimizer_caller(server), f"req-dro-{now}")
        except NoValidHost as failure:
            self._record(
                group,
                host,
                settings,
                value,
                now,
                "migration_failed",
                server,
                target.name,
                str(failure),
            )
            return
        self._over.pop(host.name, None)
        self._record(
            group,
            host,
            settings,
            value,
            now,
            "migration",
            server,
            target.name,
            f"Live migration of {server.name} from {host.name} to {target.name}.",
        )

    # -- arithmetic over the hosts ---------------------------------------------------------
    def _on(self, host: Host) -> list[Server]:
        return [s for s in map(self.registry.find, sorted(host.servers)) if s is not None]

    def _movable(self, host: Host) -> list[Server]:
        found = []
        for server in self._on(host):
            if server.host != host.name or server.task_state or server.vm_state != "active":
                continue
            if not automation_may_move(server):
                continue
            if server.metadata.get("dro_enabled", "true").strip().lower() in ("false", "0", "no"):
                continue
            group = self.server_groups.group_of(server.id)
            if group is not None and group.policy == "affinity" and len(group.members) > 1:
                continue
            found.append(server)
        return found

    def _load(self, server: Server, metric: str) -> Load:
        share = Decimal(str(self.utilization_of(server, metric)))
        allocation = (
            Decimal(server.claim_units) if metric == "cpu" else Decimal(server.claim_memory_mb)
        )
        return Load(server.id, allocation * share)

    def _capacity(self, host: Host, metric: str) -> Decimal:
        return host.units_total if metric == "cpu" else Decimal(host.spec.memory_mb)

    def _percent(self, host: Host, metric: str) -> float:
        total = sum((self._load(s, metric).amount for s in self._on(host)), Decimal(0))
        return percent(total, self._capacity(host, metric))

    def _target(
        self, source: Host, members: list[Host], load: Load, settings: DroSettings
    ) -> Host | None:
        server = self.registry.find(load.server_id)
        best: tuple[float, Host] | None = None
        for host in members:
            if (
                host.name == source.name
                or not host.usable
                or server is None
                or not host.fits(server.claim)
            ):
                continue
            if self.server_groups.blocks_move(server.id, host.name):
                continue
            total = sum((self._load(s, settings.metric).amount for s in self._on(host)), Decimal(0))
            after = percent(total + load.amount, self._capacity(host, settings.metric))
            if after <= settings.threshold and (best is None or after < best[0]):
                best = (after, host)
        return best[1] if best else None

    # -- events ----------------------------------------------------------------------------
    def _record(
        self,
        group: HostGroup,
        host: Host,
        settings: DroSettings,
        value: float,
        now: float,
        event_type: str,
        server: Server | None = None,
        target: str | None = None,
        message: str = "",
    ) -> None:
        event = DroEvent(
            id=next(self._ids), time=now, host_group=group.name, host=host.name,
            event_type=event_type, mode=settings.mode, metric=settings.metric,
            value=round(value, 2), threshold=settings.threshold,
            server_id=server.id if server else None, server_name=server.name if server else None,
            target_host=target, message=message,
        )  # fmt: skip
        self.events.append(event)
        self.ctx.store.put("dro_event", str(event.id), asdict(event))


def _optimizer_caller(server: Server) -> Caller:
    """DRO acts as PowerVC itself (the instance action shows it), in the VM's project."""
    return Caller(
        token="", user_id="powervc-dro", user_name="PowerVC DRO", project_id=server.project_id,
        project_name=None, roles=("admin",), methods=(), issued_at=0.0, expires_at=0.0,
        audit_id="",
    )  # fmt: skip
