"""`plan_cluster` through the emulator's real HTTP: clean plans for 2 and 3 nodes, each refusal
with the spec line it cites, and nothing created by planning."""

from __future__ import annotations

import base64
from dataclasses import replace

import asyncssh
import pytest

from powerbridge.client import Cloud
from powerbridge.deploy.plan_model import ServerCreate
from powerbridge.emulator.server import RunningEmulator
from powerbridge.ha.deployment import to_deployment
from powerbridge.ha.identity import nova_fingerprint
from powerbridge.ha.model import (
    CLUSTER_TAG,
    NodeSpec,
    PlacementSpec,
    RepositorySpec,
    ResourceGroupSpec,
    ServiceIPSpec,
    SharedStorageSpec,
    SplitMergeSpec,
    SshSpec,
)
from powerbridge.ha.plan import ClusterPlan, plan_cluster
from tests.ha.plan_support import (  # noqa: F401
    FINGERPRINT,
    cloud_fixture,
    cluster,
    codes,
    counts,
    plan,
    small_cloud_fixture,
    use,
)

pytestmark = pytest.mark.acceptance


@pytest.mark.parametrize("nodes", [2, 3])
def test_a_clean_plan_creates_nothing(cloud: RunningEmulator, nodes: int) -> None:
    before = counts(cloud)
    result = plan(cloud, cluster(f"clean{nodes}", nodes, repository=RepositorySpec(backup=True)))
    assert result.ok, [str(b) for b in result.blocks]
    assert not result.warnings
    assert len(result.plan.server_creates) == nodes
    assert [v.name for v in result.plan.volume_creates] == [
        f"clean{nodes}-repository",
        f"clean{nodes}-repository-backup",
        f"clean{nodes}-data-1",
    ]
    assert all(len(v.attach_to) == nodes for v in result.plan.volume_creates)
    server = result.plan.server_creates[0]
    body = server.request()["server"]
    assert body["key_name"] == f"clean{nodes}-key"
    assert body["metadata"][CLUSTER_TAG] == f"clean{nodes}"
    assert [r.policy for r in result.plan.rule_creates] == ["soft-anti-affinity"]
    kinds = [row.kind for row in result.rows()]
    assert kinds.index("collocation rule") < kinds.index("volume") < kinds.index("server")
    assert {"key pair", "cluster", "resource group", "volume group"} <= set(kinds)
    assert result.to_dict()["ok"] is True
    assert counts(cloud) == before


def test_to_deployment_hard_rule_and_existing_rule() -> None:
    hard = to_deployment(cluster("hardc", anti_affinity="hard"))
    assert hard.collocation_rules["hardc-anti-affinity"].policy == "anti-affinity"
    assert hard.owner_tag == CLUSTER_TAG
    named = to_deployment(cluster("named", collocation_rule="existing-rule"))
    assert not named.collocation_rules
    assert {s.collocation_rule for s in named.servers} == {"existing-rule"}


@pytest.mark.parametrize(("size", "word"), [(0, "is 0"), (461, "is 461")])
def test_repository_size_refused(cloud: RunningEmulator, size: int, word: str) -> None:
    result = plan(cloud, cluster("repo", repository=RepositorySpec(size_gb=size)))
    assert codes(result) == ["repository_size"]
    assert str(result.blocks[0]).startswith(f"line 12: repository.size_gb {word}")


def test_service_ip_outside_the_subnet(cloud: RunningEmulator) -> None:
    spec = cluster("outside", service_ip=ServiceIPSpec("svc", address="10.99.0.5"))
    result = plan(cloud, spec)
    assert codes(result) == ["service_ip"]
    assert "not in a subnet of network cmbnet1 (192.168.100.0/24)" in str(result.blocks[0])
    assert result.blocks[0].line == 9


def test_service_ip_a_nodes_fixed_ip(cloud: RunningEmulator) -> None:
    nodes = (NodeSpec("fixa", "192.168.100.240"), NodeSpec("fixb", "192.168.100.241"))
    result = plan(cloud, cluster("fixed", nodes=nodes))
    assert codes(result) == ["service_ip"]
    assert "node fixa's fixed IP" in str(result.blocks[0])


def test_service_ip_taken_by_a_port(cloud: RunningEmulator) -> None:
    async def reserve(c: Cloud) -> str:
        net = await c.network.find_network("cmbnet1")
        return (await c.network.create_port(net.id, name="squatter", fixed_ip="192.168.100.77")).id

    port = use(cloud, reserve)
    try:
        spec = cluster("taken", service_ip=ServiceIPSpec("svc", address="192.168.100.77"))
        result = plan(cloud, spec)
        assert codes(result) == ["service_ip"]
        assert "taken (port squatter holds it)" in str(result.blocks[0])
    finally:
        use(cloud, lambda c: c.network.delete_port(port))


def test_the_clusters_own_service_port_is_not_a_conflict(cloud: RunningEmulator) -> None:
    async def reserve(c: Cloud) -> str:
        net = await c.network.find_network("cmbnet1")
        made = await c.network.create_port(
            net.id, name="mine-service-ip", fixed_ip="192.168.100.78"
        )
        return made.id

    port = use(cloud, reserve)
    try:
        spec = cluster("mine", service_ip=ServiceIPSpec("svc", address="192.168.100.78"))
        assert plan(cloud, spec).ok
    finally:
        use(cloud, lambda c: c.network.delete_port(port))


@pytest.mark.parametrize(
    ("group", "words"),
    [
        (ResourceGroupSpec("rg", startup="OAAN"), "(OAAN) must use the fallover policy BO"),
        (ResourceGroupSpec("rg", fallover="FUDNP"), "needs NODE_PRIORITY_POLICY"),
        (ResourceGroupSpec("rg", startup="XYZ"), '"XYZ" is not a valid value for STARTUP'),
    ],
)
def test_policy_combination_refused(
    cloud: RunningEmulator, group: ResourceGroupSpec, words: str
) -> None:
    result = plan(cloud, cluster("policy", resource_group=group))
    assert codes(result) == ["policy"]
    assert words in str(result.blocks[0])
    assert result.blocks[0].line == 14


def test_split_merge_on_713_nsc_refused(cloud: RunningEmulator) -> None:
    spec = cluster(
        "split", image="PowerHA713", split_merge=SplitMergeSpec("tiebreaker", "tiebreaker")
    )
    result = plan(cloud, spec)
    assert codes(result) == ["level"]
    assert "PowerHA 7.1.3" in str(result.blocks[0])
    assert "7.2.1 or later" in str(result.blocks[0])
    assert plan(cloud, replace(spec, image="PowerHA72")).ok


def test_bad_node_name_refused(cloud: RunningEmulator) -> None:
    nodes = (NodeSpec("good1"), NodeSpec("1bad"))
    result = plan(cloud, cluster("names", nodes=nodes))
    assert "node_name" in codes(result)
    found = next(b for b in result.blocks if b.code == "node_name")
    assert "'1bad' is not a valid AIX host name" in str(found)


def test_key_pair_fingerprint_mismatch(cloud: RunningEmulator) -> None:
    public = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn0u1sXc4y4kWlq5R9oYbF1yVgq8bkP2b5gqXr7m3dK x"

    async def create(c: Cloud) -> str:
        return (await c.compute.create_keypair("keyed-key", public)).fingerprint

    actual = use(cloud, create)
    try:
        result = plan(cloud, cluster("keyed"))
        assert codes(result) == ["key_pair"]
        assert actual in str(result.blocks[0])
        assert FINGERPRINT in str(result.blocks[0])
        assert result.key_pair_exists
        assert plan(cloud, cluster("keyed"), fingerprint=actual.upper()).ok
    finally:
        use(cloud, lambda c: c.compute.delete_keypair("keyed-key"))


def test_hard_anti_affinity_needs_a_host_per_node(small_cloud: RunningEmulator) -> None:
    before = counts(small_cloud)
    result = plan(small_cloud, cluster("hard", 3, anti_affinity="hard"))
    assert codes(result) == ["hosts"]
    assert "3 nodes but 2 usable hosts" in str(result.blocks[0])
    assert result.blocks[0].line == 20
    assert counts(small_cloud) == before


def test_soft_anti_affinity_only_warns(small_cloud: RunningEmulator) -> None:
    result = plan(small_cloud, cluster("soft", 3))
    assert result.ok
    assert [w.code for w in result.warnings] == ["hosts"]


def test_unicast_needs_713(small_cloud: RunningEmulator) -> None:
    result = plan(small_cloud, cluster("uni", image="PowerHA712", heartbeat="unicast"))
    assert codes(result) == ["level"]
    assert "PowerHA 7.1.2" in str(result.blocks[0])
    assert "heartbeat: multicast" in str(result.blocks[0])
    assert plan(small_cloud, cluster("multi", image="PowerHA712", heartbeat="multicast")).ok


def test_an_image_without_a_level_warns(cloud: RunningEmulator) -> None:
    result = plan(cloud, cluster("nolevel", image="AIX72"))
    assert result.ok
    assert [w.code for w in result.warnings] == ["level_unknown"]
    assert "halevel -s" in str(result.warnings[0])


def test_deploy_blocks_are_part_of_the_plan(cloud: RunningEmulator) -> None:
    result = plan(cloud, cluster("noimage", image="NoSuchImage"))
    assert not result.ok
    assert result.blocks[0].key == "image"
    assert result.blocks[0].line == 6


def test_disks_on_storage_the_nodes_group_does_not_reach(cloud: RunningEmulator) -> None:
    spec = cluster(
        "reach",
        placement=PlacementSpec(storage_connectivity_group="rack1 NPIV"),
        repository=RepositorySpec(storage_template="svc82 base template"),
    )
    result = plan(cloud, spec)
    assert codes(result) == ["scg_storage"]
    assert "does not reach storage template 'svc82 base template'" in str(result.blocks[0])
    assert "reach-repository" in str(result.blocks[0])
    reached = replace(spec, repository=RepositorySpec(storage_template="xiv90 base template"))
    assert plan(cloud, replace(reached, shared_storage=SharedStorageSpec(1, 1))).ok


def test_allocate_plans_a_port_and_creates_none(cloud: RunningEmulator) -> None:
    async def ports(c: Cloud) -> int:
        return len(await c.network.ports())

    before = use(cloud, ports)
    result = plan(cloud, cluster("alloc", service_ip=ServiceIPSpec("svc", allocate=True)))
    assert result.ok
    assert ("port", "alloc-service-ip") in {(row.kind, row.name) for row in result.rows()}
    assert use(cloud, ports) == before


def test_service_ip_the_gateway(cloud: RunningEmulator) -> None:
    spec = cluster("gate", service_ip=ServiceIPSpec("svc", address="192.168.100.1"))
    assert "is the subnet's gateway" in str(plan(cloud, spec).blocks[0])


def test_a_login_key_given_as_user_data_needs_no_matching_key_pair(
    cloud: RunningEmulator,
) -> None:
    """The portal's case: the spec names its user's key pair, the portal's key goes to the
    nodes as cloud-config user data, so the pair need not hold it; the requests carry it."""
    users = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGn0u1sXc4y4kWlq5R9oYbF1yVgq8bkP2b5gqXr7m3dK"
    made = asyncssh.generate_private_key("ssh-ed25519")
    portal = " ".join(bytes(made.export_public_key()).decode().split()[:2])

    async def create(c: Cloud) -> None:
        await c.compute.create_keypair("users-key", users)

    async def planned(c: Cloud) -> ClusterPlan:
        spec = cluster("given", ssh=SshSpec(key_pair="users-key"))
        login = nova_fingerprint(portal)
        return await plan_cluster(c, spec, public_key_fingerprint=login, authorized_keys=[portal])

    use(cloud, create)
    try:
        result = use(cloud, planned)
        assert result.ok, result.blocks
        servers = _servers(result)
        assert [s.name for s in servers] == ["givenn1", "givenn2"]
        for server in servers:
            body = server.request()["server"]
            assert body["key_name"] == "users-key"
            document = base64.b64decode(body["user_data"]).decode()
            assert document == f"#cloud-config\nssh_authorized_keys:\n- {portal}\n"
        without = plan(cloud, cluster("given", ssh=SshSpec(key_pair="users-key")))
        assert codes(without) == ["key_pair"]  # the CLI's case: the pair must hold the key
        assert all("user_data" not in s.request()["server"] for s in _servers(without))
    finally:
        use(cloud, lambda c: c.compute.delete_keypair("users-key"))


def _servers(result: ClusterPlan) -> list[ServerCreate]:
    return [c for c in result.plan.creates if isinstance(c, ServerCreate)]
