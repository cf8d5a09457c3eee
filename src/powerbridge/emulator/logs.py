"""OpenStack-style service logs laid out like PowerVC's, one file per service process.

Line format, as oslo.log writes it and as PowerVC administrators grep it:
`2026-11-23 19:04:11.123 4242 INFO nova.compute.manager [req-<id> <user> <project> - - -] msg`
Files: `nova/nova-api.log`, `nova/nova-compute-<MTM-SN>.log`, `cinder/api.log`,
`cinder/volume-<provider IP>.log`, `glance/api.log`, `neutron/server.log`,
`keystone/keystone.log`. Work one service does for another logs both request ids, as oslo.log's
`[%(global_request_id)s %(request_id)s %(user_identity)s]` does: the called service gets a
request id of its own and keeps the originating one as the global request id, so a line reads
`[req-<global> req-<local> <user> <project> - - -]` (see `LogContext.internal_call`).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SERVICE_FILES = {
    "nova-api": "nova/nova-api.log",
    "nova-scheduler": "nova/nova-scheduler.log",
    "nova-conductor": "nova/nova-conductor.log",
    "cinder-api": "cinder/api.log",
    "cinder-scheduler": "cinder/scheduler.log",
    "glance-api": "glance/api.log",
    "neutron-server": "neutron/server.log",
    "keystone": "keystone/keystone.log",
}


@dataclass(frozen=True)
class LogContext:
    """Who a line is about: the request id and, when known, the user and project."""

    request_id: str
    user_id: str = "-"
    project_id: str = "-"
    global_request_id: str | None = None

    def internal_call(self) -> LogContext:
        """The context of a call this request's service makes to another service (nova to
        cinder, nova to neutron, cinder to glance): a request id of the called service's own,
        the same user and project, and the originating request id as the global one, as
        OpenStack services pass it along in `X-OpenStack-Request-ID`."""
        return LogContext(
            f"req-{uuid.uuid4()}",
            self.user_id,
            self.project_id,
            self.global_request_id or self.request_id,
        )

    def bracket(self) -> str:
        ids = self.request_id
        if self.global_request_id and self.global_request_id != self.request_id:
            ids = f"{self.global_request_id} {self.request_id}"
        return f"[{ids} {self.user_id} {self.project_id} - - -]"


NO_CONTEXT = "[-]"


class ServiceLogs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, TextIO] = {}
        self._pid = os.getpid()

    def path(self, process: str) -> Path:
        """`nova-compute-<host>` and `cinder-volume-<provider IP>` get a file of their own."""
        if process in SERVICE_FILES:
            return self.root / SERVICE_FILES[process]
        if process.startswith("nova-compute-"):
            return self.root / "nova" / f"{process}.log"
        if process.startswith("cinder-volume-"):
            return self.root / "cinder" / f"volume-{process.removeprefix('cinder-volume-')}.log"
        raise KeyError(f"unknown log process {process!r}")

    def write(
        self,
        process: str,
        level: str,
        module: str,
        message: str,
        context: LogContext | None = None,
        when: float | None = None,
    ) -> None:
        stamp = when if when is not None else time.time()
        seconds = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
        millis = int((stamp % 1) * 1000)
        bracket = context.bracket() if context else NO_CONTEXT
        line = f"{seconds}.{millis:03d} {self._pid} {level} {module} {bracket} {message}\n"
        self._file(process).write(line)

    def _file(self, process: str) -> TextIO:
        handle = self._files.get(process)
        if handle is None:
            path = self.path(process)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a", encoding="utf-8", buffering=1)
            self._files[process] = handle
        return handle

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()
