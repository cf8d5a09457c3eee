"""Random argument lists never crash a disk or LVM command: each answers with a status, and a
refused command leaves the disks as they were."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerbridge.emulator.aix.commands import disks, lvm
from powerbridge.emulator.aix.node import Node
from tests.emulator.aix.conftest import Estate, run

NAMES = sorted({*disks.COMMANDS, *lvm.COMMANDS})
WORDS = st.sampled_from(
    ["-l", "-a", "-y", "-c", "-C", "-S", "-s", "-u", "-o", "-F", "-d", "-m", "-v", "-g", "-P",
     "hdisk0", "hdisk1", "hdisk99", "datavg", "rootvg", "pv=yes", "pv=clear", "jfs2", "/data",
     "reserve_policy=no_reserve", "reserve_policy=", "size=1G", "10", "0", "1G", "-", "--",
     "../../etc", "=", "value", "pvid", "-Cc", "disk", "-El"]
)  # fmt: skip


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(NAMES), args=st.lists(WORDS, max_size=6))
def test_random_arguments_never_crash(estate: Estate, name: str, args: list[str]) -> None:
    node = booted(estate)
    before = estate.emulator.aix.disks.disks(node)
    result = run(node, estate, " ".join([name, *args]))
    assert isinstance(result.status, int)
    if result.status != 0:
        assert estate.emulator.aix.disks.disks(node) == before


def booted(estate: Estate) -> Node:
    """One node with one data volume, made once per test function."""
    world = estate.emulator.aix
    if world.nodes:
        return next(iter(world.nodes.values()))
    server = estate.server("fuzzed")
    estate.attach(server, estate.volume("data"))
    return estate.node(server, "fuzzed")
