"""Property-based fuzzing of every emulator write endpoint (POST, PUT, PATCH, DELETE).

For each operation, 200 generated requests (fixed seed: `derandomize`) with mutated valid
bodies, arbitrary JSON or bytes, microversion and content-type headers, tokens of several roles
(or none) and real or hostile ids. Every response must be below 500 (but nova's 501 where the
PowerVM driver implements nothing, world.NOT_IMPLEMENTED), carry a request id, and every 4xx
must be in the service's own error envelope; after each request the emulator's state
must stay consistent (host usage is the sum of its servers' claims; no port is left bound to a
deleted server).

The emulator's app is called in one event loop for the whole module (`runner`), through httpx's
ASGI transport; each operation still gets a fresh emulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.strategies import Request, requests
from tests.fuzz.world import NOT_IMPLEMENTED, Operation, World, check_response, write_operations

EXAMPLES = 200
OPERATIONS = write_operations()


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    """The event loop every request of the module runs in."""
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def world(runner: asyncio.Runner) -> Iterator[World]:
    """A fresh emulator per operation: one operation's damage never hides another's bugs."""
    built = World.create(runner)
    yield built
    built.close()


def test_every_service_has_write_operations() -> None:
    services = {operation.service for operation in OPERATIONS}
    assert services == {"identity", "compute", "image", "network", "volume", "emulator"}
    assert len(OPERATIONS) >= 90


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.id)
def test_write_endpoint(world: World, operation: Operation, request: pytest.FixtureRequest) -> None:
    world.ensure(operation)
    checked: list[int] = []  # one entry per example that went through every check

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(example=requests(operation, world))
    def run(example: Request) -> None:
        response = world.client.request(
            example.method, example.url, content=example.body, headers=example.wire_headers()
        )
        if operation.service == "emulator" and "behaviours" in operation.path:
            world.reset_faults()
        check_response(
            operation.service,
            response,
            example.describe(),
            not_implemented=operation.id in NOT_IMPLEMENTED,
        )
        world.check_invariants()
        if example.method == "DELETE" and response.status_code < 300:
            world.ensure(operation)  # the target may be gone: aim the next example anew
        checked.append(response.status_code)

    run()
    request.node.user_properties.append(("examples", len(checked)))  # shown by --junitxml
    # hypothesis stops early when it runs out of distinct inputs: the acceptance is a floor
    assert len(checked) >= EXAMPLES, f"only {len(checked)} examples for {operation.id}"
