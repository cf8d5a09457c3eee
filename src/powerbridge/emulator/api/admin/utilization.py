"""The emulator's admin API for what PowerVC measures and the emulator cannot: a VM's
utilization, as a fraction of its allocation, for the Dynamic Resource Optimizer.
`PUT /powervc/emulator/v1/utilization/<server_id>` `{"utilization": {"cpu": 0.9, "memory":
0.5}}` (either key; 0 to 1); `GET` shows what counts (this declaration, else the estate's
`utilization`, else 1.0)."""

from __future__ import annotations

import math
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import bad_request, not_found

METRICS = ("cpu", "memory")


def _server_id(call: Call) -> str:
    require_admin(call.auth, "emulator:utilization")
    server_id = call.params["server_id"]
    if call.emulator.server_registry.find(server_id) is None:
        raise not_found(f"Instance {server_id} could not be found.")
    return server_id


def show_utilization(call: Call) -> Reply:
    server_id = _server_id(call)
    server = call.emulator.server_registry.find(server_id)
    assert server is not None  # _server_id found it
    dro = call.emulator.dro
    return Reply({"utilization": {m: dro.utilization_of(server, m) for m in METRICS}})


def declare_utilization(call: Call) -> Reply:
    server_id = _server_id(call)
    body: Any = call.body
    values = body.get("utilization") if isinstance(body, dict) and len(body) == 1 else None
    if not isinstance(values, dict) or not values or not set(values) <= set(METRICS):
        raise bad_request('Body must be {"utilization": {"cpu": <0..1>, "memory": <0..1>}}.')
    for metric, value in values.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not 0 <= value <= 1:
            raise bad_request(f"utilization.{metric} must be a number from 0 to 1, not {value!r}.")
    merged = {**call.emulator.dro.utilization.get(server_id, {}), **values}
    call.emulator.dro.declare(server_id, {k: float(v) for k, v in merged.items()})
    return Reply({"utilization": {m: merged.get(m, 1.0) for m in METRICS}})
