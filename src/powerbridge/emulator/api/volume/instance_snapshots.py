"""PowerVC's instance snapshots on the volume service: `GET /v3/<project>/instance-snapshots`,
`GET` and `DELETE .../instance-snapshots/<id>`, and the progress of the `vm-snapshot` that
made one, `GET .../instance-snapshots/get_progress?action=snapshot&task_id=<t>&id=<id>`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import timestamp
from powerbridge.emulator.backend.vm_snapshots import ACTION, InstanceSnapshot
from powerbridge.emulator.errors import bad_request


def _body(call: Call, record: InstanceSnapshot) -> dict[str, Any]:
    snapshots = call.emulator.vm_snapshots
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "status": snapshots.status(record),
        "server_id": record.server_id,
        "project_id": record.project_id,
        "created_at": timestamp(record.created),
        "volume_snapshots": [
            {"id": snapshot_id, "volume_id": volume_id, "status": status}
            for snapshot_id, volume_id, status in snapshots.members(record)
        ],
    }


def list_instance_snapshots(call: Call) -> Reply:
    records = call.emulator.vm_snapshots.visible(call.auth)
    return Reply({"instance_snapshots": [_body(call, r) for r in records]})


def show_instance_snapshot(call: Call) -> Reply:
    record = call.emulator.vm_snapshots.record(call.params["instance_snapshot_id"], call.auth)
    return Reply({"instance_snapshot": _body(call, record)})


def delete_instance_snapshot(call: Call) -> Reply:
    call.emulator.vm_snapshots.delete(
        call.params["instance_snapshot_id"], call.auth, call.request_id
    )
    return Reply(status=202)


def get_progress(call: Call) -> Reply:
    task_id = call.query.get("task_id")
    if call.query.get("action") != "snapshot" or not task_id:
        raise bad_request(
            "Give ?action=snapshot&task_id=<id>&id=<instance snapshot> (the task_uri a "
            "vm-snapshot answered)."
        )
    task = call.emulator.powervc_tasks.task(task_id, ACTION, call.auth)
    progress = call.emulator.vm_snapshots.progress(task)
    body = {
        "task_id": task.id,
        "action": "snapshot",
        "status": progress.status,
        "progress": progress.percent,
        "message": progress.message,
        "server_id": task.source_id,
        "instance_snapshot_id": task.result_ids[0] if task.result_ids else None,
    }
    return Reply({"instance_snapshot": body})
