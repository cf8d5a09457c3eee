"""cinder's volume transfers: `/os-volume-transfer` and, from 3.55, `/volume-transfers`
(with `no_snapshots`; 3.57 adds `source_project_id`, `destination_project_id`, `accepted`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller
from powerbridge.emulator.api.volume.schema import boolean
from powerbridge.emulator.backend.identity_records import require_writer
from powerbridge.emulator.backend.volume_transfers import Transfer, VolumeTransfers
from powerbridge.emulator.errors import bad_request, not_found

ISO = "%Y-%m-%dT%H:%M:%S.%f"


def _backend(call: Call) -> VolumeTransfers:
    return call.emulator.volume_transfers


def _collection(call: Call) -> str:
    """The path segment the call came in on; /volume-transfers exists from 3.55."""
    modern = "/volume-transfers" in call.request.url.path
    if modern and not call.at_least("3.55"):
        raise not_found("The resource could not be found.")
    return "volume-transfers" if modern else "os-volume-transfer"


def _body(call: Call, transfer: Transfer, *, detail: bool) -> dict[str, Any]:
    collection = _collection(call)
    project = call.params.get("project_id", "")
    root = call.base_url()
    body: dict[str, Any] = {
        "id": transfer.id,
        "name": transfer.name,
        "volume_id": transfer.volume_id,
        "links": [
            {"rel": "self", "href": f"{root}/v3/{project}/{collection}/{transfer.id}"},
            {"rel": "bookmark", "href": f"{root}/{project}/{collection}/{transfer.id}"},
        ],
    }
    if detail:
        body["created_at"] = datetime.fromtimestamp(transfer.created_at, UTC).strftime(ISO)
        if call.at_least("3.55") and collection == "volume-transfers":
            body["no_snapshots"] = transfer.no_snapshots
        if call.at_least("3.57") and collection == "volume-transfers":
            body["source_project_id"] = transfer.source_project_id
            body["destination_project_id"] = transfer.destination_project_id
            body["accepted"] = transfer.accepted
    return body


def create_transfer(call: Call) -> Reply:
    caller = path_caller(call)
    collection = _collection(call)
    require_writer(caller, "volume:create_transfer")
    spec = call.body.get("transfer") if isinstance(call.body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("volume_id"), str):
        raise bad_request("Incorrect request body format: give transfer.volume_id.")
    no_snapshots = False
    if collection == "volume-transfers" and "no_snapshots" in spec:
        no_snapshots = boolean(spec["no_snapshots"], "no_snapshots")
    transfer, key = _backend(call).create(caller, spec["volume_id"], spec.get("name"), no_snapshots)
    body = _body(call, transfer, detail=True)
    body["auth_key"] = key
    return Reply({"transfer": body}, status=202)


def _list(call: Call, detail: bool) -> Reply:
    caller = path_caller(call)
    everyone = str(call.query.get("all_tenants", "")).lower() in ("1", "true")
    rows = [_body(call, t, detail=detail) for t in _backend(call).visible(caller, everyone)]
    return Reply({"transfers": rows})


def list_transfers(call: Call) -> Reply:
    return _list(call, detail=False)


def list_transfers_detail(call: Call) -> Reply:
    return _list(call, detail=True)


def show_transfer(call: Call) -> Reply:
    transfer = _backend(call).get(call.params["transfer_id"], path_caller(call))
    return Reply({"transfer": _body(call, transfer, detail=True)})


def delete_transfer(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:delete_transfer")
    _backend(call).delete(call.params["transfer_id"], caller)
    return Reply(status=202)


def accept_transfer(call: Call) -> Reply:
    caller = path_caller(call)
    require_writer(caller, "volume:accept_transfer")
    _collection(call)  # /volume-transfers below 3.55 is a 404 before anything moves
    spec = call.body.get("accept") if isinstance(call.body, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("auth_key"), str):
        raise bad_request("Incorrect request body format: give accept.auth_key.")
    transfer = _backend(call).accept(call.params["transfer_id"], caller, spec["auth_key"])
    return Reply({"transfer": _body(call, transfer, detail=False)}, status=202)
