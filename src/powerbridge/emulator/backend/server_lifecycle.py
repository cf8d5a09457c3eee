"""What a server action needs from compute, and the registry that provides it.

The action modules (power, migration, maintenance, resize, server images, volume attachments)
see servers only through `ServerLifecycle`: find a server (writable for the caller), register
a handler for a lifecycle step and schedule it, record and finish an instance action, log, read
a timing, save. Hosts, placement, networks and volumes they get explicitly, so reading one
module tells what a server action touches.

`ServerRegistry` implements it: it keeps the servers (and each project's list, so listing does
not scan), persists them and runs their steps on the lifecycle engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Protocol

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.hosts import NoValidHost
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.instance_actions import InstanceActionLog
from powerbridge.emulator.backend.server_records import Server, require_unlocked
from powerbridge.emulator.errors import not_found
from powerbridge.emulator.logs import LogContext

STEP_TOPIC = "server.step"
StepHandler = Callable[[Server, float], None]
Watcher = Callable[[Server], None]


class ServerLifecycle(Protocol):
    def find(self, server_id: str) -> Server | None: ...

    def server(self, server_id: str, caller: Caller) -> Server: ...

    def writable_server(self, server_id: str, caller: Caller, action: str) -> Server: ...

    def on_step(self, step: str, handler: StepHandler) -> None: ...

    def schedule_step(self, server: Server, step: str, seconds: float) -> None: ...

    def record_action(
        self,
        server: Server,
        action: str,
        request_id: str,
        caller: Caller,
        event: str | None = None,
    ) -> None: ...

    def finish_action(
        self, server: Server, action: str, now: float, *, ok: bool, message: str | None = None
    ) -> None: ...

    def log_compute(self, server: Server, message: str, level: str = "INFO") -> None: ...

    def log_no_valid_host(
        self, server: Server, failure: NoValidHost, context: LogContext | None
    ) -> None: ...

    def timing(self, name: str, default: float = 1.0) -> float: ...

    def now(self) -> float: ...

    def save(self, server: Server) -> None: ...


def _creation_key(server: Server) -> tuple[float, str]:
    return server.created, server.id


class ServerRegistry:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.servers: dict[str, Server] = {}
        self._by_project: dict[str, dict[str, Server]] = {}
        # per project (None: all) the servers by (created, id), until one is added or removed
        self._ordered: dict[str | None, list[Server]] = {}
        self._live: dict[str | None, list[Server]] = {}  # the same without deleted servers
        self.last_seq = 0
        for body in ctx.store.load("server"):
            server = Server(**body)
            self.add(server)
            self.last_seq = max(self.last_seq, server.seq)
        self.action_log = InstanceActionLog(ctx)
        self._step_handlers: dict[str, StepHandler] = {}
        self._watchers: list[Watcher] = []
        ctx.engine.on(STEP_TOPIC, self._on_step)

    def watch(self, watcher: Watcher) -> None:
        """Call `watcher(server)` after every saved change and removal (the simulated AIX
        nodes follow their servers this way); it must be cheap and must not save."""
        self._watchers.append(watcher)

    def _notify(self, server: Server) -> None:
        for watcher in self._watchers:
            watcher(server)

    # -- the registry ----------------------------------------------------------------------
    def add(self, server: Server) -> None:
        self.servers[server.id] = server
        self._by_project.setdefault(server.project_id, {})[server.id] = server
        self._ordered.clear()
        self._live.clear()

    def remove(self, server: Server) -> None:
        self.servers.pop(server.id, None)
        self._by_project.get(server.project_id, {}).pop(server.id, None)
        self._ordered.clear()
        self._live.clear()
        self.ctx.store.delete("server", server.id)
        self._notify(server)

    def next_seq(self) -> int:
        self.last_seq += 1
        return self.last_seq

    def of_project(self, project_id: str) -> dict[str, Server]:
        return self._by_project.get(project_id, {})

    def in_creation_order(self, project_id: str | None = None) -> list[Server]:
        """A project's servers (None: everyone's), deleted ones too, by (created, id), as
        nova's lists sort them. A server's `created`, `id` and project never change, so the
        order is kept until a server is added or removed: a list call over 10,000 servers
        then sorts nothing (it used to build and compare 10,000 keys per call)."""
        ordered = self._ordered.get(project_id)
        if ordered is None:
            servers = self.servers if project_id is None else self.of_project(project_id)
            ordered = sorted(servers.values(), key=_creation_key)
            self._ordered[project_id] = ordered
        return ordered

    def live_in_creation_order(self, project_id: str | None = None) -> list[Server]:
        """`in_creation_order` without the deleted servers (a copy, the caller's to change).
        Kept too, until a server is added, removed or saved deleted (a server is deleted only
        once): a list call then skips filtering 10,000 servers."""
        live = self._live.get(project_id)
        if live is None:
            live = [s for s in self.in_creation_order(project_id) if not s.deleted]
            self._live[project_id] = live
        return list(live)

    def find(self, server_id: str) -> Server | None:
        """A live (not deleted) server, whoever owns it."""
        server = self.servers.get(server_id)
        return server if server is not None and not server.deleted else None

    def host_of(self, server_id: str) -> str | None:
        server = self.find(server_id)
        return server.host if server is not None else None

    def visible(self, server_id: str, caller: Caller) -> Server | None:
        """The server, deleted or not, if the caller may see it."""
        server = self.servers.get(server_id)
        if server is None or not (caller.is_admin or server.project_id == caller.project_id):
            return None
        return server

    def server(self, server_id: str, caller: Caller) -> Server:
        server = self.visible(server_id, caller)
        if server is None or server.deleted:
            raise not_found(f"Instance {server_id} could not be found.")
        return server

    def writable_server(self, server_id: str, caller: Caller, action: str) -> Server:
        """The server, if the caller may act on it (policy, lock)."""
        server = self.server(server_id, caller)
        require_writer(caller, f"os_compute_api:servers:{action}")
        require_unlocked(server, caller, action)
        return server

    def save(self, server: Server) -> None:
        self.ctx.store.put("server", server.id, asdict(server))
        if server.deleted:
            self._live.clear()
        self._notify(server)

    # -- steps -----------------------------------------------------------------------------
    def on_step(self, step: str, handler: StepHandler) -> None:
        """Run `handler(server, due)` when a server's `step` falls due."""
        self._step_handlers[step] = handler

    def schedule_step(self, server: Server, step: str, seconds: float) -> None:
        server.step = step
        server.step_due = self.ctx.engine.after(seconds, STEP_TOPIC, server.id)
        server.updated = self.ctx.clock.now()
        self.save(server)

    def resume_steps(self, server: Server) -> None:
        if server.step is not None and server.step_due is not None:
            self.ctx.engine.schedule(server.step_due, STEP_TOPIC, server.id)

    def _on_step(self, server_id: str, due: float) -> None:
        server = self.find(server_id)
        if server is None or server.step_due != due or server.step is None:
            return  # stale: the server moved on (deleted, re-scheduled) since this was queued
        step, server.step, server.step_due = server.step, None, None
        server.updated = due
        handler = self._step_handlers.get(step)
        if handler is not None:
            handler(server, due)
        self.save(server)

    # -- instance actions, logs, timings ---------------------------------------------------
    def record_action(
        self,
        server: Server,
        action: str,
        request_id: str,
        caller: Caller,
        event: str | None = None,
    ) -> None:
        self.action_log.record(server, action, request_id, caller, event)

    def finish_action(
        self, server: Server, action: str, now: float, *, ok: bool, message: str | None = None
    ) -> None:
        self.action_log.finish(server, action, now, ok=ok, message=message)

    def log_compute(self, server: Server, message: str, level: str = "INFO") -> None:
        process = f"nova-compute-{server.host}" if server.host else "nova-conductor"
        self.ctx.logs.write(
            process,
            level,
            "nova.compute.manager",
            f"[instance: {server.id}] {message}",
            server.log_context(),
        )

    def log_no_valid_host(
        self, server: Server, failure: NoValidHost, context: LogContext | None
    ) -> None:
        self.ctx.logs.write(
            "nova-scheduler",
            "INFO",
            "nova.scheduler.manager",
            f"[instance: {server.id}] Got no allocation candidates from the Placement API. "
            f"{failure.reason}",
            context,
        )

    def timing(self, name: str, default: float = 1.0) -> float:
        return float(self.ctx.estate.timings.get(name, default))

    def now(self) -> float:
        return self.ctx.clock.now()
