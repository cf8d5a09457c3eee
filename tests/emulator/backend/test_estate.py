"""Host groups, collocation rules, storage connectivity groups and the estate file, without
HTTP."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import EstateError, HostGroupSpec, load_estate
from powerbridge.emulator.state import Emulator

P8A, P8B, P9 = "8286-42A_215A0BV", "8286-42A_215A0CV", "9009-42A_7838F0W"


def caller(project: str = "p1", *roles: str) -> Caller:
    return Caller(
        token="t",
        user_id="u1",
        user_name="u1",
        project_id=project,
        project_name=project,
        roles=roles or ("admin",),
        methods=("password",),
        issued_at=0.0,
        expires_at=0.0,
        audit_id="a",
    )


# -- host groups ----------------------------------------------------------------------------
def test_every_host_starts_in_the_default_group(emulator: Emulator) -> None:
    groups = emulator.host_groups
    default = groups.default_group()
    assert default.name == "Default Group"
    assert default.zone == "nova"
    assert groups.hosts_of(default) == [P8A, P8B, P9]
    assert groups.policy(default) == "striping"


def test_adding_a_host_moves_it_out_of_the_default_group(emulator: Emulator) -> None:
    groups = emulator.host_groups
    power9 = groups.create("POWER9", "power9")
    groups.add_host(str(power9.id), P9)
    assert groups.hosts_of(groups.default_group()) == [P8A, P8B]
    assert emulator.scheduler.zone_of(P9) == "power9"
    with pytest.raises(ApiError) as twice:
        groups.add_host(str(power9.id), P9)
    assert twice.value.status == 409
    other = groups.create("other", "z2")
    with pytest.raises(ApiError, match="a host belongs to one host group"):
        groups.add_host(str(other.id), P9)
    with pytest.raises(ApiError, match="Host aggregate is not empty"):
        groups.delete(str(power9.id))
    groups.remove_host(str(power9.id), P9)
    assert P9 in groups.hosts_of(groups.default_group())
    groups.delete(str(power9.id))
    assert emulator.scheduler.zone_of(P9) == "nova"


def test_group_rules(emulator: Emulator) -> None:
    groups = emulator.host_groups
    default = str(groups.default_group().id)
    with pytest.raises(ApiError, match="default host group cannot be deleted"):
        groups.delete(default)
    with pytest.raises(ApiError, match="every host is in a host group"):
        groups.remove_host(default, P8A)
    groups.create("g1", "z1")
    with pytest.raises(ApiError, match="Aggregate g1 already exists"):
        groups.create("g1", "z9")
    with pytest.raises(ApiError, match="already used by host group g1"):
        groups.create("g2", "z1")
    with pytest.raises(ApiError) as missing:
        groups.get("999")
    assert missing.value.status == 404
    with pytest.raises(ApiError, match="Compute host nope could not be found"):
        groups.add_host(default, "nope")


def test_placement_policy_metadata(emulator: Emulator) -> None:
    groups = emulator.host_groups
    group = groups.create("g1", "z1")
    groups.set_metadata(str(group.id), {"placement_policy": "Memory Utilization Balanced"})
    assert groups.policy(group) == "memory_balanced"
    with pytest.raises(ApiError, match="Invalid placement_policy 'roundrobin'"):
        groups.set_metadata(str(group.id), {"placement_policy": "roundrobin"})
    groups.set_metadata(str(group.id), {"owner": "ops", "availability_zone": "z7"})
    assert group.metadata["owner"] == "ops"
    assert group.zone == "z7"
    groups.set_metadata(str(group.id), {"owner": None})
    assert "owner" not in group.metadata


def test_estate_host_groups_are_seeded(tmp_path: Path) -> None:
    spec = HostGroupSpec("P9 hosts", [P9], availability_zone="power9", placement_policy="packing")
    estate = dataclasses.replace(load_estate(), host_groups=[spec])
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs"), estate)
    try:
        groups = emulator.host_groups
        power9 = next(g for g in groups.groups.values() if g.name == "P9 hosts")
        assert groups.hosts_of(power9) == [P9]
        assert groups.policy(power9) == "packing"
        assert emulator.scheduler.zone_of(P9) == "power9"
    finally:
        emulator.close()


# -- collocation rules ----------------------------------------------------------------------
def test_server_group_rules_become_filters(emulator: Emulator) -> None:
    groups = emulator.server_groups
    group = groups.create(caller(), "ha", "anti-affinity", soft_allowed=False)
    with pytest.raises(ApiError, match="'soft-affinity' is not one of"):
        groups.create(caller(), "x", "soft-affinity", soft_allowed=False)
    assert groups.collocation("vm1").filters == ()
    groups.add_member(group.id, "vm1")
    groups.add_member(group.id, "vm2")
    assert groups.collocation("vm2").filters == ()  # no member has a host yet
    groups.host_of = {"vm1": P8A}.get
    rule = groups.collocation("vm2").filters[0]
    assert rule.hosts == frozenset({P8A})
    assert not rule.allows(P8A)
    assert rule.allows(P8B)
    assert "Collocation rule ha (anti-affinity)" in rule.reason
    assert groups.blocks_move("vm2", P8A) is not None
    assert groups.blocks_move("vm2", P8B) is None
    groups.remove_member("vm1")
    assert groups.collocation("vm2").filters == ()


def test_soft_rules_are_preferences(emulator: Emulator) -> None:
    groups = emulator.server_groups
    group = groups.create(caller(), "web", "soft-affinity", soft_allowed=True)
    groups.add_member(group.id, "vm1")
    groups.add_member(group.id, "vm2")
    groups.host_of = {"vm1": P9}.get
    wanted = groups.collocation("vm2")
    assert wanted.filters == ()
    assert wanted.preferences[0].hosts == frozenset({P9})
    assert wanted.preferences[0].keep


def test_server_groups_are_project_scoped(emulator: Emulator) -> None:
    groups = emulator.server_groups
    group = groups.create(caller("p1", "member"), "mine", "affinity", soft_allowed=False)
    with pytest.raises(ApiError) as hidden:
        groups.get(group.id, caller("p2", "member"))
    assert hidden.value.status == 404
    assert groups.list_groups(caller("p2", "admin"), all_projects=True) == [group]
    with pytest.raises(ApiError) as reader:
        groups.create(caller("p1", "reader"), "x", "affinity", soft_allowed=False)
    assert reader.value.status == 403


# -- storage connectivity groups ------------------------------------------------------------
def test_default_and_estate_connectivity_groups(emulator: Emulator) -> None:
    scgs = emulator.connectivity
    default = scgs.default_group()
    assert default.display_name == "Any host, all VIOS"
    assert scgs.covers_every_host(default)
    assert scgs.hosts(default) == {P8A, P8B, P9}
    rack1 = scgs.get("rack1 NPIV")
    assert scgs.hosts(rack1) == {P8A, P8B}
    assert scgs.reaches(rack1, "xiv90")
    assert not scgs.reaches(rack1, "svc82")
    assert scgs.for_template({"powervm:storage_connectivity_group": rack1.id}) is rack1
    assert scgs.for_template({}) is default


def test_connectivity_group_changes(emulator: Emulator) -> None:
    scgs = emulator.connectivity
    group = scgs.create(
        {
            "display_name": "p9 vscsi",
            "vios_ids": [f"{P9}##1"],
            "auto_add_vios": "false",
            "data_connectivity": ["vscsi"],
            "fabric_set_req": "per_vios",
        }
    )
    assert scgs.hosts(group) == {P9}
    scgs.update(group.id, {"vios_redundancy": 2})
    assert scgs.hosts(group) == frozenset()  # one VIOS in the group is not two
    scgs.update(group.id, {"vios_ids": [f"{P9}##1", f"{P9}##2"], "enabled": "no"})
    assert scgs.hosts(group) == {P9}
    assert group.enabled is False
    bad = {
        "vios_ids": ["nope##1"],
        "data_connectivity": ["fcoe"],
        "vios_redundancy": 9,
        "enabled": "maybe",
        "colour": "red",
        "storage_providers": ["ds8k"],
    }
    for key, value in bad.items():
        with pytest.raises(ApiError) as refused:
            scgs.update(group.id, {key: value})
        assert refused.value.status == 400
        assert key in refused.value.message
    with pytest.raises(ApiError) as duplicate:
        scgs.create({"display_name": "rack1 NPIV"})
    assert duplicate.value.status == 409
    with pytest.raises(ApiError, match="cannot be deleted"):
        scgs.delete(scgs.default_group().id)
    scgs.delete(group.id)
    with pytest.raises(ApiError) as gone:
        scgs.get(group.id)
    assert gone.value.status == 404


def test_no_fibre_channel_reaches_only_shared_storage_pools(emulator: Emulator) -> None:
    scgs = emulator.connectivity
    group = scgs.create({"display_name": "ssp only", "fc_storage_access": False})
    assert not scgs.reaches(group, "xiv90")
    scgs.provider_types["ssp1"] = "SSP"
    assert scgs.reaches(group, "ssp1")


# -- estate file ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("host_groups: [{name: g, hosts: [nope]}]", "unknown host 'nope'"),
        (
            f"host_groups: [{{name: a, hosts: ['{P9}']}}, {{name: b, hosts: ['{P9}']}}]",
            "already in host group 'a'",
        ),
        ("host_groups: [{name: g, availability_zone: nova}]", "already used by 'Default Group'"),
        ("host_groups: [{name: g, placement_policy: random}]", "unknown policy 'random'"),
        ("default_placement_policy: random", "default_placement_policy"),
        ("storage_connectivity_groups: [{name: s, hosts: [nope]}]", "unknown host 'nope'"),
        ("storage_connectivity_groups: [{name: s, storage_providers: [x]}]", "unknown provider"),
        ("storage_connectivity_groups: [{name: s, data_connectivity: [fcoe]}]", "'fcoe'"),
        ("storage_connectivity_groups: [{name: s, vios_redundancy: 0}]", "1 to 4"),
        ("timings: {live_migraton: 3}", "unknown step 'live_migraton'"),
    ],
)
def test_estate_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    base = (
        f"hosts:\n  - {{name: '{P9}', memory_mb: 1024, processors: 2}}\n"
        "storage_providers:\n  - {name: xiv90, type: XIV, capacity_gb: 10}\n"
    )
    path = tmp_path / "estate.yaml"
    path.write_text(base + text + "\n")
    with pytest.raises(EstateError, match=message.replace("(", "\\(")):
        load_estate(path)


def test_default_estate_has_the_new_sections() -> None:
    estate = load_estate()
    assert estate.default_placement_policy == "striping"
    assert estate.resize_confirm_window == 0
    assert {"live_migration", "resize", "rebuild"} <= set(estate.timings)
    assert [g.name for g in estate.storage_connectivity_groups] == ["rack1 NPIV"]


# -- persistence ----------------------------------------------------------------------------
def test_the_estate_state_survives_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    first = Emulator(config)
    group = first.host_groups.create("POWER9", "power9")
    first.host_groups.add_host(str(group.id), P9)
    rule = first.server_groups.create(caller(), "ha", "anti-affinity", soft_allowed=False)
    first.server_groups.add_member(rule.id, "vm1")
    scg = first.connectivity.create({"display_name": "kept", "fc_storage_access": False})
    first.maintenance.set(P8A, caller(), "req-1", enable=True, migrate="none")
    first.close()

    second = Emulator(config)
    try:
        assert second.scheduler.zone_of(P9) == "power9"
        assert second.host_groups.hosts_of(second.host_groups.default_group()) == [P8A, P8B]
        assert second.server_groups.group_of("vm1") is not None
        assert second.connectivity.get(scg.id).fc_storage_access is False
        assert second.hosts.hosts[P8A].maintenance == "on"
        assert not second.hosts.hosts[P8A].usable
        assert len([g for g in second.connectivity.groups.values() if g.auto_defined]) == 1
    finally:
        second.close()
