"""PowerVC's services: the subsets, what a stopped one blocks, and held lifecycle work."""

from __future__ import annotations

import pytest

from powerbridge.emulator.admin_services import SUBSETS, AdminServices, ServiceNameError
from powerbridge.emulator.clock import Clock
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.store import Store


def test_powervc_2_subsets_include_the_1_3_names() -> None:
    names_1_3 = "db httpd rabbitmq glance cinder ego neutron nova ceilometer health bumblebee"
    assert set((names_1_3 + " validator swift").split()) <= set(SUBSETS)
    assert len(SUBSETS) == 22


def test_stopped_services_block_their_apis_and_work() -> None:
    services = AdminServices(Store(":memory:"))
    assert not services.api_unavailable("compute")
    services.stop(["nova"])
    assert services.api_unavailable("compute")
    assert not services.api_unavailable("volume")
    assert services.work_held("server.step")
    assert not services.work_held("volume.create")
    assert not services.work_held("aix.node.boot")  # the LPARs keep running
    services.restart(["nova"])
    services.stop(["db"])
    assert all(services.api_unavailable(s) for s in ("identity", "compute", "image", "network"))
    assert services.proxy_running
    services.stop(["httpd"])
    assert not services.proxy_running
    assert services.stopped == ["db", "httpd"]


def test_an_unknown_subset_names_the_valid_ones() -> None:
    with pytest.raises(ServiceNameError, match="unknown service 'novaa'; the valid values are: db"):
        AdminServices(Store(":memory:")).stop(["novaa"])


def test_held_steps_run_after_release_with_their_own_due_time() -> None:
    clock = Clock("manual", base=1000.0)
    engine = Engine(clock)
    ran: list[tuple[str, float]] = []
    engine.on("server.step", lambda rid, due: ran.append((rid, due)))
    stopped = {"nova"}
    engine.hold_when(lambda topic: bool(stopped) and topic.startswith("server."))
    engine.schedule(1001.0, "server.step", "s1")
    clock.advance(10)
    assert engine.run_due() == 0
    assert engine.held == 1
    assert engine.pending == 1
    stopped.clear()
    engine.release()
    assert engine.run_due() == 1
    assert ran == [("s1", 1001.0)]
