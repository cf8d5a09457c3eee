from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from pathlib import Path

from powerbridge.deploy import (
    Action,
    Kind,
    Plan,
    VolumeCreate,
    build_plan,
    load_spec,
    parse_pipe,
    parse_yaml,
)
from powerbridge.deploy.cloudview import (
    CloudView,
    CollocationRule,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    Network,
    ProjectLimits,
    StorageConnectivityGroup,
    StorageProvider,
)
from tests.support.cloud_views import HOSTS, estate, server, volume, with_

EXAMPLES = Path(__file__).parents[2] / "examples"
ON_CMBNET1 = (("cmbnet1", "10.0.0.5"),)  # an existing server's address, as nova shows it
BASE = "flavor_name=powervm.small|vm_name={vm}|image_name=PowerHA713|vlan_name=cmbnet1"
HEAD = """\
deployment: web
defaults:
  template: powervm.small
  image: AIX72
  network: cmbnet1
  storage_template: xiv90 base template
"""


def pipe_plan(*lines: str, view: CloudView | None = None, name: str = "two-vms") -> Plan:
    return build_plan(parse_pipe("\n".join(lines), name=name), view or estate())


def yaml_plan(body: str, view: CloudView | None = None) -> Plan:
    return build_plan(parse_yaml(HEAD + textwrap.dedent(body), name="web"), view or estate())


def messages(plan: Plan) -> list[str]:
    return [block.message for block in plan.blocks]


# -- resolution and requests ---------------------------------------------------------------------


def test_two_vm_example_resolves_every_name_to_an_id() -> None:
    plan = build_plan(load_spec(EXAMPLES / "two-vms.pipe"), estate())
    assert plan.ok
    assert [(item.kind, item.name) for item in plan.creates] == [
        (Kind.VOLUME, "wzq-testvm3-1"),
        (Kind.VOLUME, "wzq-shared-1"),
        (Kind.SERVER, "testvm3"),
        (Kind.SERVER, "testvm4"),
    ]
    private, shared = plan.volume_creates
    assert private.request() == {
        "volume": {
            "name": "wzq-testvm3-1",
            "size": 3,
            "volume_type": "vt-xiv",
            "description": "Non shared data for testvm3",
            "metadata": {"powerbridge:deployment": "two-vms"},
            "multiattach": False,
        }
    }
    assert shared.request()["volume"]["multiattach"] is True
    testvm3 = plan.server_creates[0]
    assert testvm3.request() == {
        "server": {
            "name": "testvm3",
            "imageRef": "image-ha",
            "flavorRef": "flavor-small",
            "networks": [{"uuid": "net-cmb"}],
            "block_device_mapping_v2": [
                {
                    "uuid": "${volume:wzq-testvm3-1}",
                    "source_type": "volume",
                    "destination_type": "volume",
                    "delete_on_termination": False,
                }
            ],
            "metadata": {"powerbridge:deployment": "two-vms"},
        }
    }
    ids = {(Kind.VOLUME, "wzq-testvm3-1"): "vol-123"}
    mapping = testvm3.request(ids)["server"]["block_device_mapping_v2"]
    assert mapping[0]["uuid"] == "vol-123"
    assert (testvm3.memory_mb, testvm3.proc_units, testvm3.vcpus) == (4096, Decimal("0.5"), 2)
    assert testvm3.hosts == {host.name for host in HOSTS}


def test_names_may_be_ids() -> None:
    plan = pipe_plan(
        "flavor_name=flavor-small|vm_name=a|image_name=image-ha|vlan_name=net-cmb|"
        "lun_spec=1:1:vt-svc"
    )
    assert plan.ok
    assert plan.server_creates[0].template == "powervm.small"
    assert plan.volume_creates[0].storage_template == "svc82 base template"


def test_a_volume_without_template_uses_the_default_storage_template() -> None:
    plan = pipe_plan(BASE.format(vm="a") + "|lun_spec=1:1")
    assert plan.volume_creates[0].storage_template_id == "vt-xiv"


def test_typo_suggests_the_closest_name_and_the_server_is_not_created() -> None:
    plan = pipe_plan(
        BASE.format(vm="testvm3").replace("powervm.small", "powervm.smal"),
        BASE.format(vm="testvm4").replace("powervm.small", "powervm.smal"),
        BASE.format(vm="ok"),
    )
    assert not plan.ok
    (block,) = plan.blocks
    assert block.message == (
        "servers testvm3, testvm4: unknown compute template 'powervm.smal';"
        " did you mean 'powervm.small'?"
    )
    assert (block.kind, block.name, block.code) == (
        Kind.COMPUTE_TEMPLATE,
        "powervm.smal",
        "unknown_name",
    )
    assert block.affects == ("testvm3", "testvm4")
    assert [item.name for item in plan.server_creates] == ["ok"]


def test_case_only_typo_and_no_suggestion() -> None:
    plan = pipe_plan(
        BASE.format(vm="a").replace("PowerHA713", "powerha713").replace("cmbnet1", "zzz")
    )
    assert messages(plan) == [
        "server a: unknown image 'powerha713'; did you mean 'PowerHA713'?",
        "server a: unknown network 'zzz'",
    ]


def test_unknown_storage_template_in_the_pipe_file_blocks() -> None:
    plan = pipe_plan(BASE.format(vm="testvm3") + "|lun_spec=1:3:xiv90 base templat:wzq::")
    assert messages(plan) == [
        "volume wzq-testvm3-1: unknown storage template 'xiv90 base templat';"
        " did you mean 'xiv90 base template'?"
    ]
    assert plan.creates == ()  # the server waits for its volume


def test_ambiguous_names_ask_for_an_id() -> None:
    view = with_(estate(), images=(*estate().images, Image("image-ha-2", "PowerHA713")))
    plan = pipe_plan(BASE.format(vm="a"), view=view)
    assert messages(plan) == [
        "server a: 2 images are named 'PowerHA713' (image-ha, image-ha-2); use an id"
    ]


def test_image_needing_a_bigger_disk_and_an_inactive_image() -> None:
    view = with_(estate(), images=(Image("image-ha", "PowerHA713", 30, "queued"),))
    plan = pipe_plan(BASE.format(vm="a"), view=view)
    assert messages(plan) == [
        "server a: image 'PowerHA713' is queued, not active",
        "server a: compute template 'powervm.small' has a 20 GB disk;"
        " image 'PowerHA713' needs at least 30 GB",
    ]


# -- PowerVM rules --------------------------------------------------------------------------------


def test_yaml_powervm_override_breaking_a_rule_blocks_with_a_precise_message() -> None:
    plan = yaml_plan(
        """\
        servers:
          - name: db
            powervm: {max_mem: 2048}
          - name: web
        """
    )
    assert messages(plan) == [
        "server db: ram: The 'Desired Memory' value 4096 MB is above the 'Maximum Memory'"
        " value 2048 MB. (compute template 'powervm.small' with overrides powervm:max_mem=2048)"
    ]
    assert plan.blocks[0].code == "powervm_rule"
    assert [item.name for item in plan.server_creates] == ["web"]


def test_override_with_a_bad_value_names_field_and_allowed_values() -> None:
    plan = yaml_plan("servers:\n  - name: a\n    powervm: {proc_units: 0.335, uncapped: maybe}\n")
    assert messages(plan) == [
        "server a: powervm:uncapped: Invalid value 'maybe' for 'powervm:uncapped': a boolean"
        " (true/t/yes/y/1 or false/f/no/n/0) is required. (compute template 'powervm.small'"
        " with overrides powervm:proc_units=0.335, powervm:uncapped=maybe)",
        "server a: powervm:proc_units: The 'Desired Processing Units' value 0.335 is not a"
        " multiple of 0.01. (compute template 'powervm.small' with overrides"
        " powervm:proc_units=0.335, powervm:uncapped=maybe)",
    ]


def test_hundredths_of_a_unit_per_processor_plan_and_claim_what_they_say() -> None:
    plan = yaml_plan(
        "servers:\n  - name: a\n    template: powervm.tiny\n    powervm: {proc_units: 0.37}\n"
    )
    assert plan.ok, messages(plan)
    [create] = plan.server_creates
    assert create.proc_units == Decimal("0.37")
    assert create.request()["server"]["flavor"]["extra_specs"]["powervm:proc_units"] == "0.37"


def test_a_template_below_five_hundredths_per_processor_blocks_before_anything_is_made() -> None:
    broken = ComputeTemplate(
        "flavor-thin", "powervm.thin", 2048, 1, 20, {"powervm:proc_units": "0.03"}
    )
    view = with_(estate(), templates=(*estate().templates, broken))
    plan = yaml_plan(
        """\
        servers:
          - name: thin
            template: powervm.thin
          - name: two
            template: powervm.small
            powervm: {proc_units: 0.06, min_proc_units: 0.06}
        """,
        view,
    )
    assert messages(plan) == [
        "server thin: powervm:proc_units: The 'Desired Processing Units' value 0.03 is below"
        " 0.05 per virtual processor (1). (compute template 'powervm.thin')",
        "server two: powervm:proc_units: The 'Desired Processing Units' value 0.06 is below"
        " 0.05 per virtual processor (2). (compute template 'powervm.small' with overrides"
        " powervm:min_proc_units=0.06, powervm:proc_units=0.06)",
    ]
    assert {block.code for block in plan.blocks} == {"powervm_rule"}
    assert not plan.ok  # apply refuses a blocked plan whole: nothing is created
    assert plan.server_creates == ()


def test_valid_overrides_and_scg_send_an_inline_flavor_with_merged_specs() -> None:
    plan = yaml_plan(
        """\
        servers:
          - name: a
            powervm: {max_mem: 16384, proc_units: 1}
            storage_connectivity_group: rack1 NPIV
          - name: b
        """
    )
    assert plan.ok, messages(plan)
    a, b = plan.server_creates
    request = a.request()["server"]
    assert "flavorRef" not in request
    flavor = request["flavor"]
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"]) == (4096, 2, 20)
    assert flavor["extra_specs"]["powervm:max_mem"] == "16384"
    assert flavor["extra_specs"]["powervm:min_mem"] == "2048"
    assert flavor["extra_specs"]["powervm:storage_connectivity_group"] == "scg-npiv"
    assert a.proc_units == Decimal(1)
    assert a.hosts == {HOSTS[0].name, HOSTS[1].name}
    assert b.request()["server"]["flavorRef"] == "flavor-small"


# -- what exists ----------------------------------------------------------------------------------


def test_tagged_resources_are_unchanged_and_others_conflict() -> None:
    view = with_(
        estate(),
        servers=(
            server(
                "testvm3",
                "two-vms",
                host="8286-42A_215A0BV",
                networks=(("cmbnet1", "10.0.0.5"),),
                volume_ids=("id-wzq-testvm3-1",),
            ),
            server("testvm4", None),
            server("testvm5", "other"),
        ),
        volumes=(volume("wzq-testvm3-1", "two-vms"), volume("wzq-shared-1", "other", 2)),
    )
    plan = pipe_plan(
        BASE.format(vm="testvm3") + "|lun_spec=1:3:xiv90 base template:wzq",
        BASE.format(vm="testvm4") + "|lun_spec=1:2:xiv90 base template:wzq:shared",
        BASE.format(vm="testvm5"),
        BASE.format(vm="testvm6") + "|lun_spec=1:2:xiv90 base template:wzq:shared",
        view=view,
    )
    assert [(item.kind, item.name, item.id) for item in plan.unchanged] == [
        (Kind.VOLUME, "wzq-testvm3-1", "id-wzq-testvm3-1"),
        (Kind.SERVER, "testvm3", "id-testvm3"),
    ]
    assert plan.unchanged[1].details == "ACTIVE on 8286-42A_215A0BV"
    assert messages(plan) == [
        "volume wzq-shared-1: a volume named 'wzq-shared-1' exists (id-wzq-shared-1)"
        " and belongs to deployment 'other'",
        "server testvm4: a server named 'testvm4' exists (id-testvm4)"
        " and has no powerbridge:deployment tag",
        "server testvm5: a server named 'testvm5' exists (id-testvm5)"
        " and belongs to deployment 'other'",
    ]
    assert [block.code for block in plan.blocks] == ["conflict"] * 3
    assert plan.creates == ()  # testvm6 needs the conflicting shared volume


def test_reapplying_a_finished_deployment_creates_nothing() -> None:
    view = with_(
        estate(),
        servers=(
            server("testvm3", "two-vms", networks=ON_CMBNET1, volume_ids=("id-wzq-testvm3-1",)),
            server("testvm4", "two-vms", networks=ON_CMBNET1, volume_ids=("id-wzq-shared-1",)),
        ),
        volumes=(
            volume("wzq-testvm3-1", "two-vms", 3, status="in-use", attachments=("id-testvm3",)),
            volume("wzq-shared-1", "two-vms", 2, status="in-use", multiattach=True),
        ),
    )
    plan = build_plan(load_spec(EXAMPLES / "two-vms.pipe"), view)
    assert plan.ok
    assert plan.creates == ()
    assert len(plan.unchanged) == 4


def test_a_new_server_attaches_an_existing_shared_volume_by_id() -> None:
    view = with_(
        estate(),
        servers=(server("a", "d"),),
        volumes=(
            volume("ha-shared-1", "d", 2, status="in-use", attachments=("id-a",), multiattach=True),
        ),
    )
    lun = "|lun_spec=1:2:xiv90 base template:ha:shared"
    plan = pipe_plan(BASE.format(vm="a") + lun, BASE.format(vm="b") + lun, view=view, name="d")
    assert plan.ok
    (b,) = plan.server_creates
    assert plan.creates == (b,)
    assert b.request()["server"]["block_device_mapping_v2"][0]["uuid"] == "id-ha-shared-1"


def test_an_existing_private_volume_in_use_elsewhere_blocks() -> None:
    view = with_(
        estate(),
        volumes=(volume("p-a-1", "d", 1, status="in-use", attachments=("srv-x",)),),
    )
    plan = pipe_plan(
        BASE.format(vm="a") + "|lun_spec=1:1:xiv90 base template:p", view=view, name="d"
    )
    assert messages(plan) == [
        "server a: volume 'p-a-1' is attached to srv-x and is not multiattach"
    ]


# -- capacity -------------------------------------------------------------------------------------


def small_hosts(memory: int, units: str, count: int = 2) -> tuple[Host, ...]:
    return tuple(Host(f"h{n}", None, memory, Decimal(units)) for n in range(1, count + 1))


def test_memory_and_processing_units_per_host_set() -> None:
    view = with_(
        estate(), hosts=small_hosts(8192, "1.0"), host_groups=(), storage_connectivity_groups=()
    )
    plan = pipe_plan(*(BASE.format(vm=f"vm{n}") for n in range(5)), view=view)
    assert messages(plan) == [
        "not enough memory in all hosts (2 usable hosts): 5 servers to create need 20480 MB,"
        " 16384 MB free",
        "not enough processing units in all hosts (2 usable hosts): 5 servers to create need"
        " 2.5, 2 free",
    ]
    assert len(plan.server_creates) == 5  # capacity blocks the plan, not the servers


def test_servers_confined_to_a_host_group_are_checked_against_it() -> None:
    view = with_(
        estate(),
        hosts=(*small_hosts(8192, "4"), Host("big", None, 1_000_000, Decimal(100))),
        host_groups=(HostGroup("hg", "small", "small-zone", ("h1", "h2")),),
    )
    lines = [BASE.format(vm=f"vm{n}") + "|host_group=small" for n in range(4)]
    plan = pipe_plan(*lines, *(BASE.format(vm=f"free{n}") for n in range(20)), view=view)
    assert plan.ok  # 4 x 4096 MB fit the group; the others go to "big"
    assert plan.server_creates[0].availability_zone == "small-zone"
    lines.append(BASE.format(vm="vm4") + "|host_group=small")
    plan = pipe_plan(*lines, view=view)
    assert messages(plan) == [
        "not enough memory in host group 'small' (2 usable hosts): 5 servers to create need"
        " 20480 MB, 16384 MB free"
    ]


def test_a_server_that_fits_no_single_host() -> None:
    view = with_(estate(), hosts=small_hosts(3000, "8", count=3))
    plan = pipe_plan(BASE.format(vm="a"), view=view)
    assert messages(plan) == [
        "no host in all hosts has 4096 MB of memory and 0.5 processing units free for one server"
    ]
    assert plan.blocks[0].affects == ("a",)


def test_host_placement_zone_and_unusable_hosts() -> None:
    view = with_(
        estate(),
        hosts=(*HOSTS, Host("down-host", None, 65536, Decimal(8), state="down")),
    )
    plan = pipe_plan(
        BASE.format(vm="a") + "|host_name=p8-rack1-host1",
        BASE.format(vm="b") + "|host_name=p8-rack1-host1|host_group=rack1",
        BASE.format(vm="c") + "|host_name=p9-rack2-host1|host_group=rack1",
        BASE.format(vm="d") + "|host_name=down-host",
        BASE.format(vm="e") + "|host_name=p8-rack1-hots1",
        view=view,
    )
    a, b = plan.server_creates
    assert a.availability_zone == ":8286-42A_215A0BV"
    assert b.availability_zone == "rack1-zone:8286-42A_215A0BV"
    assert a.hosts == {"8286-42A_215A0BV"}
    assert messages(plan) == [
        "server c: host 'p9-rack2-host1' (9009-42A_7838F0W) is not in host group 'rack1'",
        "server d: host 'down-host' is down and enabled",
        "server e: unknown host 'p8-rack1-hots1'; did you mean 'p8-rack1-host1'?",
    ]


def test_storage_provider_free_space() -> None:
    view = with_(estate(), storage_providers=(StorageProvider("xiv90", 100),))
    plan = pipe_plan(
        BASE.format(vm="a") + "|lun_spec=2:60:xiv90 base template",
        BASE.format(vm="b") + "|lun_spec=1:500:svc82 base template",
        view=view,
    )
    assert messages(plan) == [
        "storage provider 'xiv90' has 100 GB free; the plan creates 2 volumes of 120 GB on it"
    ]
    assert plan.blocks[0].affects == ("a-a-1", "a-a-2")


def test_free_ips_fixed_ips_outside_the_subnet_and_taken() -> None:
    network = Network("net-cmb", "cmbnet1", 2, ("192.168.100.0/24",), frozenset({"192.168.100.9"}))
    view = with_(estate(), networks=(network,))
    plan = pipe_plan(
        BASE.format(vm="a") + "|fixed_ip=10.0.0.1",
        BASE.format(vm="b") + "|fixed_ip=192.168.100.9",
        BASE.format(vm="c") + "|fixed_ip=192.168.100.10",
        BASE.format(vm="d") + "|fixed_ip=192.168.100.10",
        BASE.format(vm="e"),
        view=view,
    )
    assert messages(plan) == [
        "server a: fixed IP 10.0.0.1 is outside the subnets of network 'cmbnet1'"
        " (192.168.100.0/24)",
        "server b: fixed IP 192.168.100.9 is already in use on network 'cmbnet1'",
        "fixed IP 192.168.100.10 is also given to server c",
        "network 'cmbnet1' has 2 free IP addresses; the plan needs 3",
    ]


def test_project_limits() -> None:
    limits = ProjectLimits(8, 10, 10, 12, 0, 10_000)
    plan = pipe_plan(
        *(BASE.format(vm=f"vm{n}") for n in range(3)), view=with_(estate(), limits=limits)
    )
    assert messages(plan) == [
        "project limit on instances: 8 used of 10; the plan needs 3 more",
        "project limit on cores: 10 used of 12; the plan needs 6 more",
        "project limit on RAM: 0 MB used of 10000 MB; the plan needs 12288 MB more",
    ]
    assert {block.kind for block in plan.blocks} == {Kind.PROJECT}


# -- collocation -----------------------------------------------------------------------------------


def test_anti_affinity_needs_as_many_usable_hosts_as_members() -> None:
    body = """\
        servers:
          - name: node{1..3}
            host_group: rack1
            collocation_rule: apart
        collocation_rules:
          apart: {policy: anti-affinity}
        """
    plan = yaml_plan(body)
    assert messages(plan) == [
        "anti-affinity rule 'apart': 3 servers to create need different hosts; only 2 usable"
        " hosts can take them (8286-42A_215A0BV, 8286-42A_215A0CV)"
    ]
    assert plan.blocks[0].affects == ("node1", "node2", "node3")
    rule = plan.rule_creates[0]
    assert rule.request() == {"server_group": {"name": "apart", "policies": ["anti-affinity"]}}
    assert rule.members == ("node1", "node2", "node3")
    assert plan.server_creates[0].request()["os:scheduler_hints"] == {
        "group": "${collocation_rule:apart}"
    }
    assert yaml_plan(body.replace("host_group: rack1", "image: AIX72")).ok  # 3 hosts in all


def test_anti_affinity_counts_hosts_of_existing_members() -> None:
    view = with_(
        estate(),
        servers=(server("old", "x", host="p9-rack2-host1"),),
        collocation_rules=(CollocationRule("rule-old", "old-apart", "anti-affinity", ("id-old",)),),
    )
    plan = yaml_plan("servers:\n  - name: n{1..3}\n    collocation_rule: old-apart\n", view=view)
    assert messages(plan) == [
        "anti-affinity rule 'old-apart': 3 servers to create need different hosts; only 2"
        " usable hosts can take them (8286-42A_215A0BV, 8286-42A_215A0CV)"
    ]
    assert plan.server_creates[0].request()["os:scheduler_hints"] == {"group": "rule-old"}


def test_affinity_needs_a_common_host_with_room() -> None:
    body = """\
        servers:
          - {name: a, host_group: rack1, collocation_rule: together}
          - {name: b, host_group: rack2, collocation_rule: together}
        collocation_rules:
          together: {policy: affinity}
        """
    assert messages(yaml_plan(body)) == [
        "affinity rule 'together': its servers have no usable host in common"
    ]
    view = with_(estate(), hosts=small_hosts(6000, "8"), host_groups=())
    plan = yaml_plan(
        "servers:\n  - {name: n, count: 2, collocation_rule: t}\n"
        "collocation_rules:\n  t: {policy: affinity}\n",
        view=view,
    )
    assert messages(plan) == [
        "affinity rule 't': no host has 8192 MB of memory and 1 processing units free for its"
        " 2 servers"
    ]
    assert [item.name for item in plan.server_creates] == ["n-1", "n-2"]


def test_collocation_rules_reused_or_conflicting_or_unknown() -> None:
    view = with_(
        estate(),
        collocation_rules=(
            CollocationRule("r1", "same", "anti-affinity"),
            CollocationRule("r2", "differs", "affinity"),
        ),
    )
    plan = yaml_plan(
        """\
        servers:
          - {name: a, collocation_rule: same}
          - {name: b, collocation_rule: differs}
          - {name: c, collocation_rule: sme}
        collocation_rules:
          same: {policy: anti-affinity}
          differs: {policy: soft-affinity}
        """,
        view=view,
    )
    assert [(item.kind, item.name, item.id) for item in plan.unchanged] == [
        (Kind.COLLOCATION_RULE, "same", "r1")
    ]
    assert messages(plan) == [
        "server c: unknown collocation rule 'sme'; did you mean 'same'?",
        "collocation rule 'differs' exists with policy affinity, not soft-affinity",
    ]
    assert [item.name for item in plan.server_creates] == ["a"]


# -- shared volumes, rendering, purity ----------------------------------------------------------


def test_shared_volume_on_two_servers_is_created_once_and_attached_to_both() -> None:
    plan = yaml_plan(
        """\
        servers:
          - {name: a, volumes: [data]}
          - {name: b, volumes: [data]}
        volumes:
          data: {size_gb: 10}
        """
    )
    (data,) = plan.volume_creates
    assert data.name == "data"
    assert data.shared
    assert data.attach_to == ("a", "b")
    for item in plan.server_creates:
        mapping = item.request()["server"]["block_device_mapping_v2"]
        assert [entry["uuid"] for entry in mapping] == ["${volume:data}"]
        assert [(ref.kind, ref.name, ref.id) for ref in item.volumes] == [
            (Kind.VOLUME, "data", None)
        ]


def test_rows_and_json() -> None:
    view = with_(estate(), servers=(server("testvm3", "two-vms", networks=ON_CMBNET1),))
    plan = pipe_plan(
        BASE.format(vm="testvm3"),
        BASE.format(vm="testvm4") + "|lun_spec=1:2:xiv90 base template:wzq:shared",
        BASE.format(vm="x").replace("cmbnet1", "nope"),
        view=view,
    )
    rows = [(row.action, row.kind, row.name) for row in plan.rows()]
    assert rows == [
        (Action.CREATE, Kind.VOLUME, "wzq-shared-1"),
        (Action.CREATE, Kind.SERVER, "testvm4"),
        (Action.UNCHANGED, Kind.SERVER, "testvm3"),
        (Action.BLOCK, Kind.NETWORK, "nope"),
    ]
    assert plan.rows()[0].details == (
        "2 GB on xiv90 base template, shared (multiattach), attached to testvm4"
    )
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["ok"] is False
    assert data["summary"] == {"create": 2, "change": 0, "unchanged": 1, "block": 1}
    assert data["creates"][1]["request"]["server"]["flavorRef"] == "flavor-small"
    assert data["blocks"][0]["code"] == "unknown_name"


def test_planning_is_pure_and_deterministic() -> None:
    spec = load_spec(EXAMPLES / "cluster.yaml")
    view = estate()
    first, second = build_plan(spec, view), build_plan(spec, view)
    assert first == second
    assert first.ok, messages(first)
    assert isinstance(first.creates[0], VolumeCreate)
    assert first.hosts == {host.name for host in HOSTS}


def test_scg_limits_hosts_and_unknown_scg_blocks() -> None:
    view = with_(
        estate(),
        storage_connectivity_groups=(StorageConnectivityGroup("scg-x", "empty", ()),),
    )
    plan = pipe_plan(
        BASE.format(vm="a") + "|storage_connectivity_group=empty",
        BASE.format(vm="b") + "|storage_connectivity_group=rack1 NPIV",
        view=view,
    )
    assert messages(plan) == [
        "server a: no usable host in storage connectivity group 'empty'",
        "server b: unknown storage connectivity group 'rack1 NPIV'",
    ]


def test_a_missing_volume_of_an_existing_server_blocks() -> None:
    view = with_(estate(), servers=(server("testvm3", "two-vms"),))
    plan = pipe_plan(BASE.format(vm="testvm3") + "|lun_spec=1:3:xiv90 base template:wzq", view=view)
    assert messages(plan) == [
        "volume 'wzq-testvm3-1' is missing but testvm3 exist: volumes are attached only to"
        " servers the plan creates"
    ]


def test_reserved_addresses_and_the_gateway_are_not_fixed_ips() -> None:
    network = Network(
        "net-cmb", "cmbnet1", 200, ("192.168.100.0/24",), gateways=frozenset({"192.168.100.1"})
    )
    view = with_(estate(), networks=(network,))
    plan = pipe_plan(
        BASE.format(vm="a") + "|fixed_ip=192.168.100.0",
        BASE.format(vm="b") + "|fixed_ip=192.168.100.255",
        BASE.format(vm="c") + "|fixed_ip=192.168.100.1",
        BASE.format(vm="d") + "|fixed_ip=192.168.100.2",
        view=view,
    )
    assert messages(plan) == [
        "server a: fixed IP 192.168.100.0 is the network or broadcast address of its subnet on"
        " network 'cmbnet1'; pick a host address",
        "server b: fixed IP 192.168.100.255 is the network or broadcast address of its subnet"
        " on network 'cmbnet1'; pick a host address",
        "server c: fixed IP 192.168.100.1 is the gateway of network 'cmbnet1'",
    ]
    assert [create.name for create in plan.server_creates] == ["d"]


def test_a_server_of_the_deployment_in_error_blocks_with_the_fix() -> None:
    view = with_(estate(), servers=(server("testvm3", "two-vms", status="ERROR"),))
    plan = pipe_plan(BASE.format(vm="testvm3"), view=view)
    assert messages(plan) == [
        "server testvm3: server 'testvm3' (id-testvm3) of this deployment is in ERROR; delete"
        " it (powerbridge server delete id-testvm3) and apply again to deploy it anew"
    ]
    assert plan.unchanged == ()


def test_metadata_longer_than_nova_takes_blocks() -> None:
    plan = yaml_plan(
        """
        servers:
          - name: m1
            metadata: {note: %s}
        """
        % ("x" * 256)
    )
    assert messages(plan) == [
        "server m1: metadata 'note': keys and values are at most 255 characters (nova's limit)"
    ]
