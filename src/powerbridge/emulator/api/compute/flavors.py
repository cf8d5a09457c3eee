"""`/flavors`: PowerVC compute templates, with `os-extra_specs` holding the `powervm:` specs."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import paginate
from powerbridge.emulator.api.compute.views import flavor_body
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.flavors import Flavor
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request, not_found

# nova's parameter_types.boolean: JSON booleans and the strings oslo's bool_from_string takes
_TRUE = ["True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t"]
_FALSE = ["False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f"]
_BOOLEAN = {"type": ["boolean", "string"], "enum": [True, False, *_TRUE, *_FALSE]}


def _truthy(value: object) -> bool:
    return value is True or value in _TRUE


_NUMBER = {"type": ["integer", "string"], "pattern": "^[0-9]+$"}
CREATE_FLAVOR = Schema(
    "flavor",
    {
        "type": "object",
        "properties": {
            "flavor": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    # nova's flavor_manage schema takes a number too (and makes it a string)
                    "id": {
                        "type": ["string", "number", "null"],
                        "minLength": 1,
                        "maxLength": 255,
                        "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$",
                    },
                    "ram": {**_NUMBER, "minimum": 1},
                    "vcpus": {**_NUMBER, "minimum": 1},
                    "disk": {**_NUMBER, "minimum": 0},
                    "OS-FLV-EXT-DATA:ephemeral": {**_NUMBER, "minimum": 0},
                    "swap": {"type": ["integer", "string"], "minimum": 0},
                    "rxtx_factor": {"type": ["number", "string"]},
                    "os-flavor-access:is_public": _BOOLEAN,
                    "description": {"type": ["string", "null"], "maxLength": 65535},
                },
                "required": ["name", "ram", "vcpus", "disk"],
                "additionalProperties": False,
            }
        },
        "required": ["flavor"],
        "additionalProperties": False,
    },
)
EXTRA_SPECS = Schema(
    "extra_specs",
    {
        "type": "object",
        "properties": {
            "extra_specs": {
                "type": "object",
                "patternProperties": {
                    "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": ["string", "number", "boolean"]}
                },
                "additionalProperties": False,
            }
        },
        "required": ["extra_specs"],
        "additionalProperties": False,
    },
)


def _visible(call: Call) -> list[Flavor]:
    flavors = list(call.emulator.flavors.flavors.values())
    is_public = call.query.get("is_public")
    caller = call.auth
    if not caller.is_admin:  # nova: public ones and the private ones the project may use
        flavors = [f for f in flavors if f.is_public or caller.project_id in f.projects]
    elif is_public in (None, "true", "True", "1"):
        flavors = [f for f in flavors if f.is_public]
    min_ram = call.query.get("minRam")
    min_disk = call.query.get("minDisk")
    try:
        if min_ram:
            flavors = [f for f in flavors if f.ram >= int(min_ram)]
        if min_disk:
            flavors = [f for f in flavors if f.disk >= int(min_disk)]
    except ValueError:
        raise bad_request("Invalid minRam or minDisk filter: a whole number is required.") from None
    key = call.query.get("sort_key", "flavorid")
    reverse = call.query.get("sort_dir", "asc") == "desc"
    attribute = {"flavorid": "id", "memory_mb": "ram", "root_gb": "disk"}.get(key, key)
    if attribute not in ("id", "name", "ram", "vcpus", "disk"):
        raise bad_request(f"Invalid sort_key {key}.")
    return sorted(flavors, key=lambda f: getattr(f, attribute), reverse=reverse)


def list_flavors(call: Call) -> Reply:
    page, next_links = paginate(call, _visible(call), "flavors", lambda f: f.id)
    body: dict[str, Any] = {"flavors": [flavor_body(call, f, detail=False) for f in page]}
    if next_links:
        body["flavors_links"] = next_links
    return Reply(body)


def list_flavors_detail(call: Call) -> Reply:
    page, next_links = paginate(call, _visible(call), "flavors/detail", lambda f: f.id)
    body: dict[str, Any] = {"flavors": [flavor_body(call, f) for f in page]}
    if next_links:
        body["flavors_links"] = next_links
    return Reply(body)


def show_flavor(call: Call) -> Reply:
    flavor = call.emulator.flavors.get(call.params["flavor_id"])
    caller = call.auth
    if not call.emulator.flavors.usable_by(flavor, caller.project_id, caller.is_admin):
        raise not_found(f"Flavor {flavor.id} could not be found.")
    return Reply({"flavor": flavor_body(call, flavor)})


def create_flavor(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-manage:create")
    CREATE_FLAVOR.check(call.body)
    spec = call.body["flavor"]
    swap = spec.get("swap", 0)
    flavor = call.emulator.flavors.create(
        name=spec["name"].strip(),
        ram=int(spec["ram"]),
        vcpus=int(spec["vcpus"]),
        disk=int(spec["disk"]),
        flavor_id=None if spec.get("id") is None else str(spec["id"]),
        ephemeral=int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0)),
        swap=int(swap) if swap != "" else 0,
        rxtx_factor=float(spec.get("rxtx_factor", 1.0)),
        is_public=_truthy(spec.get("os-flavor-access:is_public", True)),
        description=spec.get("description"),
    )
    return Reply({"flavor": flavor_body(call, flavor)})


def update_flavor(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-manage:update")
    body = call.body
    spec = body.get("flavor") if isinstance(body, dict) else None
    if not isinstance(spec, dict) or set(spec) != {"description"}:
        raise bad_request(
            'Only the flavor description can be updated: {"flavor": {"description": "..."}}.'
        )
    description = spec["description"]
    if description is not None and not isinstance(description, str):
        raise bad_request(
            f"Invalid input for field/attribute description. Value: {description}. "
            f"{description!r} is not of type 'string', 'null'"
        )
    flavor = call.emulator.flavors.update_description(call.params["flavor_id"], description)
    return Reply({"flavor": flavor_body(call, flavor)})


def delete_flavor(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-manage:delete")
    call.emulator.flavors.delete(call.params["flavor_id"])
    return Reply(status=202)


def list_extra_specs(call: Call) -> Reply:
    flavor = call.emulator.flavors.get(call.params["flavor_id"])
    return Reply({"extra_specs": dict(flavor.extra_specs)})


def set_extra_specs(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-extra-specs:create")
    EXTRA_SPECS.check(call.body)
    specs = {k: _spec_text(v) for k, v in call.body["extra_specs"].items()}
    call.emulator.flavors.set_extra_specs(call.params["flavor_id"], specs)
    return Reply({"extra_specs": specs})


def _spec_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def show_extra_spec(call: Call) -> Reply:
    flavor = call.emulator.flavors.get(call.params["flavor_id"])
    key = call.params["key"]
    if key not in flavor.extra_specs:
        raise not_found(f"Flavor {flavor.id} has no extra specs with key {key}.")
    return Reply({key: flavor.extra_specs[key]})


def update_extra_spec(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-extra-specs:update")
    key = call.params["key"]
    body = call.body
    if not isinstance(body, dict) or list(body) != [key]:
        raise bad_request("Request body and URI mismatch")
    value = _spec_text(body[key])
    call.emulator.flavors.set_extra_specs(call.params["flavor_id"], {key: value})
    return Reply({key: value})


def delete_extra_spec(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-flavor-extra-specs:delete")
    call.emulator.flavors.delete_extra_spec(call.params["flavor_id"], call.params["key"])
    return Reply(status=200)  # nova's api-ref: 200, no body
