"""Collocation rules: nova server groups (`affinity`, `anti-affinity` and, from microversion
2.15, their `soft-` variants), honoured by the scheduler through `os:scheduler_hints.group`.

A server joins its group when it is created and leaves it when it is deleted (a failed server
stays a member until then, as in nova); the hosts of the members are looked up on demand
through `host_of`, so the rule always sees where its members run now (after migrations too).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.placement import HostFilter
from powerbridge.emulator.errors import ApiError, bad_request, not_found

HARD_POLICIES = ("affinity", "anti-affinity")
SOFT_POLICIES = ("soft-affinity", "soft-anti-affinity")


@dataclass
class ServerGroup:
    id: str
    name: str
    policy: str
    project_id: str
    user_id: str
    created_at: float
    members: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Collocation:
    """What a group asks of the scheduler for one more member."""

    filters: tuple[HostFilter, ...] = ()
    preferences: tuple[HostFilter, ...] = ()


class ServerGroupBackend:
    def __init__(self, ctx: BackendContext, host_of: Callable[[str], str | None]) -> None:
        self.ctx = ctx
        self.host_of = host_of
        self.groups: dict[str, ServerGroup] = {}
        self._group_of: dict[str, str] = {}  # server id -> group id
        for body in ctx.store.load("server_group"):
            group = ServerGroup(**body)
            self.groups[group.id] = group
            for member in group.members:
                self._group_of[member] = group.id

    def _save(self, group: ServerGroup) -> None:
        self.ctx.store.put("server_group", group.id, asdict(group))

    # -- API -------------------------------------------------------------------------------
    def create(self, caller: Caller, name: str, policy: str, *, soft_allowed: bool) -> ServerGroup:
        require_writer(caller, "os_compute_api:os-server-groups:create")
        allowed = HARD_POLICIES + (SOFT_POLICIES if soft_allowed else ())
        if policy not in allowed:
            raise bad_request(
                f"Invalid input for field/attribute 0. Value: {policy}. {policy!r} is not one "
                f"of {list(allowed)}"
            )
        group = ServerGroup(
            id=str(uuid.uuid4()),
            name=name,
            policy=policy,
            project_id=caller.project_id or "",
            user_id=caller.user_id,
            created_at=self.ctx.clock.now(),
        )
        self.groups[group.id] = group
        self._save(group)
        return group

    def get(self, group_id: str, caller: Caller) -> ServerGroup:
        group = self.groups.get(group_id)
        if group is None or not (caller.is_admin or group.project_id == caller.project_id):
            raise not_found(f"Instance group {group_id} could not be found.")
        return group

    def list_groups(self, caller: Caller, *, all_projects: bool) -> list[ServerGroup]:
        everyone = all_projects and caller.is_admin
        rows = [g for g in self.groups.values() if everyone or g.project_id == caller.project_id]
        return sorted(rows, key=lambda g: g.created_at)

    def delete(self, group_id: str, caller: Caller) -> None:
        group = self.get(group_id, caller)
        require_writer(caller, "os_compute_api:os-server-groups:delete")
        for member in group.members:
            self._group_of.pop(member, None)
        del self.groups[group.id]
        self.ctx.store.delete("server_group", group.id)

    # -- membership ------------------------------------------------------------------------
    def check_hint(self, group_id: str, caller: Caller) -> ServerGroup:
        """The group a create request names in its scheduler hints (400 when unknown)."""
        try:
            return self.get(group_id, caller)
        except ApiError:
            raise bad_request(f"Invalid server group: {group_id} could not be found.") from None

    def add_member(self, group_id: str, server_id: str) -> None:
        group = self.groups[group_id]
        group.members.append(server_id)
        self._group_of[server_id] = group.id
        self._save(group)

    def remove_member(self, server_id: str) -> None:
        group_id = self._group_of.pop(server_id, None)
        group = self.groups.get(group_id or "")
        if group is not None and server_id in group.members:
            group.members.remove(server_id)
            self._save(group)

    def group_of(self, server_id: str) -> ServerGroup | None:
        return self.groups.get(self._group_of.get(server_id, ""))

    # -- scheduling ------------------------------------------------------------------------
    def member_hosts(self, group: ServerGroup, *, besides: str) -> frozenset[str]:
        hosts = (self.host_of(m) for m in group.members if m != besides)
        return frozenset(h for h in hosts if h)

    def collocation(self, server_id: str) -> Collocation:
        """The filters (hard rules) or preferences (soft rules) for placing `server_id`."""
        group = self.group_of(server_id)
        if group is None:
            return Collocation()
        hosts = self.member_hosts(group, besides=server_id)
        if not hosts:
            return Collocation()
        rule = describe(group)
        names = ", ".join(sorted(hosts))
        if group.policy.endswith("anti-affinity"):
            found = HostFilter(
                hosts,
                keep=False,
                reason=f"{rule} keeps its members on different hosts, and every candidate "
                f"host that fits already runs one of them ({names}).",
            )
        else:
            found = HostFilter(
                hosts,
                keep=True,
                reason=f"{rule} keeps its members on one host ({names}), which cannot take "
                "this virtual machine.",
            )
        if group.policy.startswith("soft-"):
            return Collocation(preferences=(found,))
        return Collocation(filters=(found,))

    def blocks_move(self, server_id: str, target: str) -> str | None:
        """Why moving `server_id` to host `target` would break its hard rule, if it would."""
        group = self.group_of(server_id)
        if group is None or group.policy.startswith("soft-"):
            return None
        hosts = self.member_hosts(group, besides=server_id)
        if group.policy == "anti-affinity" and target in hosts:
            return f"{describe(group)} already has a member on host {target}."
        if group.policy == "affinity" and hosts and target not in hosts:
            return f"{describe(group)} keeps its members on host {', '.join(sorted(hosts))}."
        return None


def describe(group: ServerGroup) -> str:
    return f"Collocation rule {group.name} ({group.policy})"
