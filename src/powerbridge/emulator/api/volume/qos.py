"""cinder's `qos-specs` (administrators only): create, list, show, set and delete keys,
delete, and the associations with volume types."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller
from powerbridge.emulator.backend.volume_qos import QosSpec, VolumeQos
from powerbridge.emulator.backend.volume_records import require_volume_admin
from powerbridge.emulator.errors import bad_request


def _qos(call: Call, action: str) -> VolumeQos:
    require_volume_admin(path_caller(call), f"volume_extension:qos_specs_manage:{action}")
    return call.emulator.volume_qos


def _view(spec: QosSpec) -> dict[str, Any]:
    return {"id": spec.id, "name": spec.name, "consumer": spec.consumer, "specs": dict(spec.specs)}


def _links(call: Call, spec: QosSpec) -> list[dict[str, str]]:
    project = call.params.get("project_id", "")
    root = call.base_url()
    return [
        {"rel": "self", "href": f"{root}/v3/{project}/qos-specs/{spec.id}"},
        {"rel": "bookmark", "href": f"{root}/{project}/qos-specs/{spec.id}"},
    ]


def _strings(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad_request(f"Missing required element '{what}' in request body.")
    return {str(k): str(v) for k, v in value.items()}


def list_specs(call: Call) -> Reply:
    specs = _qos(call, "get_all").specs.values()
    return Reply({"qos_specs": [_view(s) for s in specs]})


def create_spec(call: Call) -> Reply:
    qos = _qos(call, "create")
    body = _strings(
        call.body.get("qos_specs") if isinstance(call.body, dict) else None, "qos_specs"
    )
    name = body.pop("name", "").strip()
    if not name:
        raise bad_request("Please specify a name for QoS specs.")
    spec = qos.create(name, body.pop("consumer", "back-end"), body)
    return Reply({"qos_specs": _view(spec), "links": _links(call, spec)})


def show_spec(call: Call) -> Reply:
    spec = _qos(call, "get").get(call.params["qos_id"])
    return Reply({"qos_specs": _view(spec), "links": _links(call, spec)})


def set_keys(call: Call) -> Reply:
    qos = _qos(call, "update")
    changes = _strings(
        call.body.get("qos_specs") if isinstance(call.body, dict) else None, "qos_specs"
    )
    return Reply({"qos_specs": qos.set_keys(call.params["qos_id"], changes)})


def delete_keys(call: Call) -> Reply:
    qos = _qos(call, "update")
    keys = call.body.get("keys") if isinstance(call.body, dict) else None
    if not isinstance(keys, list):
        raise bad_request("Missing required element 'keys' in request body.")
    qos.delete_keys(call.params["qos_id"], [str(k) for k in keys])
    return Reply(status=202)


def delete_spec(call: Call) -> Reply:
    force = str(call.query.get("force", "false")).lower() in ("1", "true", "yes")
    _qos(call, "delete").delete(call.params["qos_id"], force)
    return Reply(status=202)


def associations(call: Call) -> Reply:
    rows = _qos(call, "get").associations(call.params["qos_id"])
    body = [{"association_type": "volume_type", "id": tid, "name": name} for tid, name in rows]
    return Reply({"qos_associations": body})


def _type_id(call: Call) -> str:
    type_id = call.query.get("vol_type_id")
    if not type_id:
        raise bad_request("Volume Type id must not be None.")
    return str(type_id)


def associate(call: Call) -> Reply:
    _qos(call, "update").associate(call.params["qos_id"], _type_id(call))
    return Reply(status=202)


def disassociate(call: Call) -> Reply:
    _qos(call, "update").disassociate(call.params["qos_id"], _type_id(call))
    return Reply(status=202)


def disassociate_all(call: Call) -> Reply:
    _qos(call, "update").disassociate(call.params["qos_id"], None)
    return Reply(status=202)
