"""PowerVC's `clone-vm` server action: a new VM with the source's compute template (or the
one given), processor and memory settings, and copies of every volume of the source (the boot
volume first), deployed through nova's create path (placement, networks, volumes, the clock's
deploy steps) with the networks the request names. The source is not touched. The answer's
task reports the clone's deploy: in progress while it builds, completed once ACTIVE, failed
with its fault.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from powerbridge.emulator.backend.compute import ComputeBackend
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.powervc_tasks import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PowerVCTasks,
    Progress,
    Task,
)
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.server_records import Server, ServerRequest, VolumeRequest
from powerbridge.emulator.errors import conflict

ACTION = "clone-vm"
CLONABLE = ("active", "stopped")
# how far a clone in BUILD has come, by its deploy step
STEP_PERCENT = {"scheduling": 10, "block_device_mapping": 40, "networking": 70, "spawning": 90}


def inline_flavor_of(server: Server) -> dict[str, Any]:
    """The source's template as PowerVC's inline flavor (what the clone deploys with)."""
    flavor = server.flavor
    return {
        "ram": int(flavor["ram"]),
        "vcpus": int(flavor["vcpus"]),
        "disk": int(flavor.get("disk", 0)),
        "extra_specs": dict(flavor.get("extra_specs") or {}),
    }


class VmClones:
    def __init__(
        self, registry: ServerRegistry, compute: ComputeBackend, tasks: PowerVCTasks
    ) -> None:
        self.registry = registry
        self.compute = compute
        self.tasks = tasks

    def source(self, server_id: str, caller: Caller) -> Server:
        server = self.registry.writable_server(server_id, caller, "clone-vm")
        if server.vm_state not in CLONABLE or server.task_state is not None:
            state = server.task_state or server.vm_state
            raise conflict(f"Cannot 'clone-vm' instance {server.id} while it is in {state}.")
        return server

    def clone(
        self, source: Server, request: ServerRequest, caller: Caller, request_id: str
    ) -> Task:
        """`request` carries the clone's name, networks, zone, key and any extra volumes."""
        copies = [
            VolumeRequest(
                source_type="image_volume",  # a clone of the volume (cinder's source_volid)
                uuid=mapping.volume_id,
                boot_index=mapping.boot_index,
                volume_size=None,
                delete_on_termination=True,
            )
            for mapping in source.mappings()
        ]
        request = dataclasses.replace(
            request,
            image_id=request.image_id or source.image_id,
            volumes=[*copies, *request.volumes],
            metadata={**source.metadata, **request.metadata},
            min_count=1,
            max_count=1,
        )
        (server,) = self.compute.create_servers(caller, request, request_id)
        return self.tasks.start(ACTION, caller, source.id, [server.id])

    def progress(self, task: Task) -> tuple[Progress, Server | None]:
        server = self.registry.servers.get(task.result_ids[0]) if task.result_ids else None
        if server is None or server.deleted:
            return Progress(FAILED, 0, "The clone was deleted."), server
        if server.status == "ERROR":
            message = (server.fault or {}).get("message", "The clone failed.")
            return Progress(FAILED, 100, str(message)), server
        if server.status == "BUILD":
            return Progress(IN_PROGRESS, STEP_PERCENT.get(server.task_state or "", 5)), server
        return Progress(COMPLETED, 100), server
