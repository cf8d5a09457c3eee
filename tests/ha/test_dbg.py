import json
import pytest
from tests.ha.cluster_lab import cluster_lab_fixture
from tests.ha.create_support import on_node
from powerbridge.ha.errors import StepFailed
@pytest.mark.parametrize("i", range(10))
def test_dbg(cluster_lab, i):
    spec = cluster_lab.spec()
    try:
        cluster_lab.create(spec)
        return
    except StepFailed as e:
        out=open(f"/work/wt/ha-resume/dbg{i}.txt","w")
        print(e, file=out)
    world = cluster_lab.aix.running.emulator.aix
    for sid, node in world.nodes.items():
        r = node.record
        print(node.name, r.state, r.subsystems, r.clcomd_rhosts, r.booted_at, r.boot_due, file=out)
        print(node.fs.read_text("/etc/hosts"), file=out)
    for s in world.servers.servers.values():
        print(s.name, s.status, s.deleted, file=out)
    job = cluster_lab.store.latest(spec.name, kind="cluster")
    for it in cluster_lab.store.items(job.id):
        if it.kind == "command": print(it.name, it.details["stdout"][-600:], it.details["stderr"][-600:], file=out)
