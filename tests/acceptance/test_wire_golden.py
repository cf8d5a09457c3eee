"""The emulator's wire, byte for byte, against the golden recording made before the refactor.

A difference is a wire change. If it is intended, regenerate the recording and commit it with
the change that explains it:

    python -m tests.support.wire_recorder --write
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.wire_recorder import GOLDEN, REGENERATE, record, render
from tests.support.wire_routes import (
    RouteKey,
    RoutesByService,
    exercised,
    registered_routes,
    required,
)

SHOWN_DIFFERENCES = 3
# routes no request of the scenario can answer with a success, with the reason
NO_SUCCESS = {
    RouteKey("volume", "GET", "/v2/{project_id}/volumes/summary"): (
        "cinder v2 has no volume summary (microversion 3.12): the route answers 404 as cinder"
    ),
}
# nova's host power, host status and diagnostics calls go to the compute driver, and the
# PowerVM driver implements none of them: after the policy and lookup checks, nova's 501
_NOT_IMPLEMENTED = "the PowerVM driver does not implement it: nova's 501 after its checks"
for _root in ("/v2.1", "/v2.1/{project_id}"):
    NO_SUCCESS[RouteKey("compute", "PUT", f"{_root}/os-hosts/{{host_name}}")] = _NOT_IMPLEMENTED
    NO_SUCCESS[RouteKey("compute", "GET", f"{_root}/servers/{{server_id}}/diagnostics")] = (
        _NOT_IMPLEMENTED
    )
    for _action in ("startup", "shutdown", "reboot"):
        _key = RouteKey("compute", "GET", f"{_root}/os-hosts/{{host_name}}/{_action}")
        NO_SUCCESS[_key] = _NOT_IMPLEMENTED


@pytest.fixture(scope="module")
def recording() -> list[dict[str, Any]]:
    return record()


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> RoutesByService:
    logs = tmp_path_factory.mktemp("wire-routes-logs")
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=logs))
    try:
        return registered_routes(emulator)
    finally:
        emulator.close()


def test_the_wire_matches_the_golden_recording(recording: list[dict[str, Any]]) -> None:
    golden_text = GOLDEN.read_text(encoding="utf-8")
    if render(recording) == golden_text:
        return
    golden = json.loads(golden_text)
    pytest.fail(_differences(golden, recording), pytrace=False)


def test_a_second_recording_in_the_same_process_is_identical(
    recording: list[dict[str, Any]],
) -> None:
    assert render(record()) == render(recording)


def test_every_registered_route_is_exercised(
    recording: list[dict[str, Any]], routes: RoutesByService
) -> None:
    missing = sorted(required(routes) - exercised(routes, recording))
    assert not missing, (
        "routes the wire scenario never reaches (extend tests/support/wire_*):\n"
        + ("\n".join(f"  {key}" for key in missing))
    )


def test_every_route_answers_a_success_at_least_once(
    recording: list[dict[str, Any]], routes: RoutesByService
) -> None:
    registered = required(routes)
    stale = sorted(set(NO_SUCCESS) - registered)
    assert not stale, f"NO_SUCCESS names routes that are no longer registered: {stale}"
    succeeded = [exchange for exchange in recording if exchange["status"] < 400]
    missing = sorted(registered - exercised(routes, succeeded) - set(NO_SUCCESS))
    assert not missing, "routes the wire scenario only reaches with errors:\n" + (
        "\n".join(f"  {key}" for key in missing)
    )


def _differences(golden: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> str:
    lines = [f"the emulator's wire differs from {GOLDEN.name}:"]
    if len(golden) != len(fresh):
        lines.append(f"  {len(golden)} exchanges recorded, {len(fresh)} now")
    shown = 0
    for index in range(max(len(golden), len(fresh))):
        before = golden[index] if index < len(golden) else None
        after = fresh[index] if index < len(fresh) else None
        if before == after:
            continue
        lines.append(f"exchange #{index} (line {index + 2} of the file):")
        lines.extend(_unified(before, after))
        shown += 1
        if shown == SHOWN_DIFFERENCES:
            break
    lines.append(f"if the change is intended, regenerate: {REGENERATE}")
    return "\n".join(lines)


def _unified(before: Any, after: Any) -> list[str]:
    def pretty(value: Any) -> list[str]:
        return json.dumps(value, indent=2, ensure_ascii=False).splitlines()

    return list(difflib.unified_diff(pretty(before), pretty(after), "golden", "now", lineterm=""))
