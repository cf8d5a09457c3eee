"""The estate file: loading, defaults and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.estate import DEFAULT_TIMINGS, EstateError, load_estate
from powerbridge.emulator.state import Emulator


def _estate_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HOST = "hosts:\n  - {name: h1, memory_mb: 1024, processors: 2}\n"


class TestEstate:
    def test_default_estate(self) -> None:
        estate = load_estate()
        assert estate.region == "RegionOne"
        assert estate.powervc_version
        assert len(estate.hosts) == 3
        assert all(h.memory_mb > 0 and h.processors > 0 for h in estate.hosts)
        assert "PowerHA713" in {i.name for i in estate.images}
        flavors = [t.name for t in estate.compute_templates]
        for size in ("tiny", "small", "medium", "large", "xlarge"):
            assert f"powervm.{size}" in flavors
        assert "cmbnet1" in {n.name for n in estate.networks}
        templates = {t.name for t in estate.storage_templates}
        assert {"xiv90 base template", "svc82 base template"} <= templates
        providers = {p.name for p in estate.storage_providers}
        assert {t.provider for t in estate.storage_templates} <= providers
        assert [p.name for p in estate.projects] == ["ibm-default"]
        assert estate.users[0].name == "root"
        assert estate.users[0].roles == {"ibm-default": ["admin"]}
        assert set(DEFAULT_TIMINGS) <= set(estate.timings)

    def test_compute_template_extra_specs_are_strings(self) -> None:
        tiny = next(t for t in load_estate().compute_templates if t.name == "powervm.tiny")
        assert tiny.extra_specs["powervm:max_mem"] == "4096"
        assert all(isinstance(v, str) for v in tiny.extra_specs.values())

    def test_minimal_file_and_timing_defaults(self, tmp_path: Path) -> None:
        estate = load_estate(_estate_file(tmp_path, HOST + "timings: {spawning: 60}\n"))
        assert [h.name for h in estate.hosts] == ["h1"]
        assert estate.hosts[0].vios == 2  # defaults fill the rest
        assert estate.timings["spawning"] == 60
        assert estate.timings["scheduling"] == DEFAULT_TIMINGS["scheduling"]
        assert estate.images == []

    def test_empty_file_is_an_empty_estate(self, tmp_path: Path) -> None:
        assert load_estate(_estate_file(tmp_path, "")).hosts == []

    def test_unknown_key_is_named_with_its_place(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: 1, processors: 1, memroy: 2}\n"
        with pytest.raises(EstateError) as caught:
            load_estate(_estate_file(tmp_path, text))
        message = str(caught.value)
        assert "'memroy'" in message
        assert "hosts[0]" in message
        assert "estate.yaml" in message
        assert "memory_mb" in message  # lists what is allowed

    def test_unknown_section_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="'hostz'"):
            load_estate(_estate_file(tmp_path, "hostz: []\n"))

    def test_missing_required_key_is_named(self, tmp_path: Path) -> None:
        text = "networks:\n  - name: n1\n    subnets: [{name: s1}]\n"
        with pytest.raises(EstateError) as caught:
            load_estate(_estate_file(tmp_path, text))
        assert "'vlan'" in str(caught.value)
        assert "networks[0]" in str(caught.value)

    def test_nested_missing_key_is_named(self, tmp_path: Path) -> None:
        text = "networks:\n  - name: n1\n    vlan: 5\n    subnets: [{name: s1}]\n"
        with pytest.raises(EstateError, match=r"subnets\[0\].*'cidr'"):
            load_estate(_estate_file(tmp_path, text))

    def test_bad_yaml(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="not valid YAML"):
            load_estate(_estate_file(tmp_path, "hosts: [\n  - {name: h1\n"))

    def test_top_level_must_be_a_mapping(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="mapping"):
            load_estate(_estate_file(tmp_path, "- hosts\n"))

    def test_section_must_be_a_list(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="hosts"):
            load_estate(_estate_file(tmp_path, "hosts: {name: h1}\n"))

    def test_whole_numbers_are_checked(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: lots, processors: 2}\n"
        with pytest.raises(EstateError, match="memory_mb"):
            load_estate(_estate_file(tmp_path, text))

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="cannot read"):
            load_estate(tmp_path / "absent.yaml")

    def test_null_name_is_rejected(self, tmp_path: Path) -> None:
        text = "hosts:\n  - name:\n    memory_mb: 1\n    processors: 1\n"
        with pytest.raises(EstateError, match="name"):
            load_estate(_estate_file(tmp_path, text))

    def test_boolean_is_not_a_whole_number(self, tmp_path: Path) -> None:
        text = "hosts:\n  - {name: h1, memory_mb: true, processors: 1}\n"
        with pytest.raises(EstateError, match="memory_mb"):
            load_estate(_estate_file(tmp_path, text))

    def test_scalar_where_a_list_is_expected(self, tmp_path: Path) -> None:
        text = "storage_providers:\n  - {name: a, type: SVC, capacity_gb: 1, pools: pool1}\n"
        with pytest.raises(EstateError, match="pools"):
            load_estate(_estate_file(tmp_path, text))

    def test_unknown_timing_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="spawnig"):
            load_estate(_estate_file(tmp_path, "timings: {spawnig: 5}\n"))

    def test_timing_must_be_a_number(self, tmp_path: Path) -> None:
        with pytest.raises(EstateError, match="spawning"):
            load_estate(_estate_file(tmp_path, "timings: {spawning: fast}\n"))

    def test_user_role_on_unknown_project(self, tmp_path: Path) -> None:
        text = "projects: [{name: ibm-default}]\nusers:\n  - {name: root, roles: {nope: [admin]}}\n"
        path = _estate_file(tmp_path, text)
        with pytest.raises(EstateError, match="nope"):
            Emulator(EmulatorConfig(estate_path=path, log_dir=tmp_path / "logs")).close()

    def test_user_role_unknown_role_names_the_user(self, tmp_path: Path) -> None:
        text = "projects: [{name: p1}]\nusers:\n  - {name: bob, roles: {p1: [superuser]}}\n"
        with pytest.raises(EstateError, match=r"users\[0\].*bob.*'superuser'"):
            load_estate(_estate_file(tmp_path, text))

    @pytest.mark.parametrize(
        ("text", "key"),
        [
            ("images:\n  - {name: i1, os_distro: true}\n", "os_distro"),
            (
                "storage_providers:\n  - {name: a, type: SVC, capacity_gb: 1, pools: [[p]]}\n",
                "pools",
            ),
            ("networks:\n  - {name: n1, vlan: 1, shared: 'yes'}\n", "shared"),
            ("timings: {spawning: -1}\n", "spawning"),
            ("timings: {spawning: true}\n", "spawning"),
            ("users:\n  - {name: u, roles: {p1: admin}}\n", "roles"),
        ],
    )
    def test_values_of_the_wrong_type_are_named(self, tmp_path: Path, text: str, key: str) -> None:
        with pytest.raises(EstateError, match=key):
            load_estate(_estate_file(tmp_path, text))

    def test_numbers_in_text_fields_keep_their_text(self, tmp_path: Path) -> None:
        text = "images:\n  - {name: i1, os_distro: aix, os_version: 7.2}\n"
        assert load_estate(_estate_file(tmp_path, text)).images[0].os_version == "7.2"

    def test_null_is_allowed_where_optional(self, tmp_path: Path) -> None:
        subnet = "{name: s, cidr: 10.0.0.0/24, gateway_ip: null}"
        text = f"networks:\n  - name: n1\n    vlan: 1\n    subnets: [{subnet}]\n"
        assert load_estate(_estate_file(tmp_path, text)).networks[0].subnets[0].gateway_ip is None
