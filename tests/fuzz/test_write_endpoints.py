"""Property-based fuzzing of every emulator write endpoint (POST, PUT, PATCH, DELETE).

For each operation, 200 generated requests (fixed seed: `derandomize`) with mutated valid
bodies, arbitrary JSON or bytes, microversion and content-type headers, tokens of several roles
(or none) and real or hostile ids. Every response must be below 500, carry a request id, and
every 4xx must be in the service's own error envelope; after each request the emulator's state
must stay consistent (host usage is the sum of its servers' claims; no port is left bound to a
deleted server).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.strategies import Request, requests
from tests.fuzz.world import Operation, World, check_response, write_operations

EXAMPLES = 200
OPERATIONS = write_operations()


@pytest.fixture
def world() -> Iterator[World]:
    """A fresh emulator per operation: one operation's damage never hides another's bugs."""
    built = World.create()
    yield built
    built.close()


def test_every_service_has_write_operations() -> None:
    services = {operation.service for operation in OPERATIONS}
    assert services == {"identity", "compute", "image", "network", "volume", "emulator"}
    assert len(OPERATIONS) >= 90


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.id)
def test_write_endpoint(world: World, operation: Operation) -> None:
    world.ensure(operation)
    checked: list[int] = []  # one entry per example that went through every check

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests(operation, world))
    def run(request: Request) -> None:
        response = world.client.request(
            request.method, request.url, content=request.body, headers=request.wire_headers()
        )
        if operation.service == "emulator" and "behaviours" in operation.path:
            world.reset_faults()
        check_response(operation.service, response, request.describe())
        world.check_invariants()
        if request.method == "DELETE" and response.status_code < 300:
            world.ensure(operation)  # the target may be gone: aim the next example anew
        checked.append(response.status_code)

    run()
    # hypothesis stops early when it runs out of distinct inputs: the acceptance is a floor
    assert len(checked) >= EXAMPLES, f"only {len(checked)} examples for {operation.id}"
