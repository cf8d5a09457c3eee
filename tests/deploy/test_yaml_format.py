from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from powerbridge import powervm
from powerbridge.deploy import (
    CollocationRuleSpec,
    NetworkSpec,
    SpecError,
    SpecErrors,
    VolumeSpec,
    load_schema,
    load_spec,
    parse_yaml,
)

EXAMPLES = Path(__file__).parents[2] / "examples"


def parse(text: str, **kw: str):  # type: ignore[no-untyped-def]
    return parse_yaml(textwrap.dedent(text), source="spec.yaml", **kw)


def errors_of(text: str) -> list[SpecError]:
    with pytest.raises(SpecErrors) as caught:
        parse(text)
    return list(caught.value.errors)


def only_error(text: str) -> SpecError:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


HEAD = """\
deployment: web
defaults:
  template: powervm.small
  image: AIX72
  network: cmbnet1
  storage_template: xiv90 base template
"""


# -- what it reads -------------------------------------------------------------------------------


def test_name_patterns_keep_zero_padding() -> None:
    spec = parse(HEAD + "servers:\n  - name: web{01..10}\n  - name: app{8..11}-x\n")
    names = [server.name for server in spec.servers]
    assert names[:3] == ["web01", "web02", "web03"]
    assert names[9] == "web10"
    assert names[10:] == ["app8-x", "app9-x", "app10-x", "app11-x"]
    assert all(server.line == 8 for server in spec.servers[:10])


def test_padding_follows_either_bound_like_bash() -> None:
    spec = parse(HEAD + "servers:\n  - name: n{1..010}\n")
    assert [server.name for server in spec.servers][:2] == ["n001", "n002"]


def test_count_names_servers_name_dash_n() -> None:
    spec = parse(HEAD + "servers:\n  - name: db\n    count: 3\n  - name: single\n")
    assert [server.name for server in spec.servers] == ["db-1", "db-2", "db-3", "single"]


def test_defaults_fill_servers_and_metadata_and_overrides_merge() -> None:
    spec = parse(
        HEAD
        + """\
  metadata: {team: web, tier: 1}
  powervm: {srr_capability: true}
servers:
  - name: a
    template: powervm.tiny
    metadata: {tier: 2}
    powervm: {powervm:max_mem: 8192, uncapped: false}
    host: p8-rack1-host1
    host_group: rack1
    storage_connectivity_group: rack1 NPIV
    user_data: cloud-init.cfg
"""
    )
    (server,) = spec.servers
    assert (server.template, server.image, server.network) == ("powervm.tiny", "AIX72", "cmbnet1")
    assert server.metadata == {"team": "web", "tier": "2"}
    assert server.powervm == {
        "powervm:srr_capability": "true",
        "powervm:max_mem": "8192",
        "powervm:uncapped": "false",
    }
    assert (server.host, server.host_group) == ("p8-rack1-host1", "rack1")
    assert server.storage_connectivity_group == "rack1 NPIV"
    assert server.user_data == "cloud-init.cfg"  # source has no directory


def test_shared_volumes_inline_volumes_and_collocation_rules() -> None:
    spec = parse(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - name: node{1..2}
            volumes: [ha-data, {size_gb: 20, name: rootvg}, {size_gb: 5, storage_template: t2}]
            collocation_rule: apart
          - name: lonely
            volumes: [own]
        volumes:
          ha-data: {size_gb: 50, description: data}
          own: {size_gb: 1, storage_template: t3}
        collocation_rules:
          apart: {policy: anti-affinity}
        """
        )
    )
    node1, node2, lonely = spec.servers
    assert node1.volumes == ("ha-data", "node1-rootvg", "node1-2")
    assert node2.volumes == ("ha-data", "node2-rootvg", "node2-2")
    assert node1.collocation_rule == "apart"
    assert spec.volumes["ha-data"] == VolumeSpec("ha-data", 50, "xiv90 base template", True, "data")
    assert spec.volumes["own"] == VolumeSpec("own", 1, "t3", False)  # one user: not shared
    assert spec.volumes["node1-2"] == VolumeSpec("node1-2", 5, "t2")
    assert list(spec.volumes)[:2] == ["ha-data", "own"]
    assert lonely.volumes == ("own",)
    assert spec.collocation_rules == {"apart": CollocationRuleSpec("apart", "anti-affinity")}


def test_networks_with_fixed_ips() -> None:
    spec = parse(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - name: a
            networks: [{name: cmbnet1, fixed_ip: 192.168.100.21}, mgmtnet]
          - name: b
            fixed_ip: 192.168.100.22
        """
        )
    )
    a, b = spec.servers
    assert a.networks == (NetworkSpec("cmbnet1", "192.168.100.21"), NetworkSpec("mgmtnet"))
    assert b.networks == (NetworkSpec("cmbnet1", "192.168.100.22"),)


def test_deployment_name_precedence() -> None:
    text = "servers: [{name: a, template: t, image: i, network: n}]\n"
    assert parse_yaml(text, source="dir/batch.yaml").name == "batch"
    assert parse_yaml("deployment: x\n" + text, source="dir/batch.yaml").name == "x"
    assert parse_yaml("deployment: x\n" + text, name="cli").name == "cli"
    with pytest.raises(ValueError, match="deployment name"):
        parse_yaml(text)


def test_anchors_and_merge_keys_work() -> None:
    spec = parse(
        """\
        defaults: &base {template: t, image: i, network: n}
        servers:
          - {<<: *base, name: a, image: j}
        """
    )
    assert spec.servers[0].image == "j"


def test_example_cluster_spec() -> None:
    spec = load_spec(EXAMPLES / "cluster.yaml")
    assert spec.name == "ha-cluster"
    assert [server.name for server in spec.servers] == ["hanode1", "hanode2", "app01", "app02"]
    assert spec.volumes["ha-data"].shared
    assert spec.volumes["caa-repository"].shared
    assert spec.servers[0].powervm == {"powervm:max_mem": "16384"}


# -- schema errors, located ------------------------------------------------------------------------


def test_unknown_key_at_its_line_and_column_with_the_allowed_keys() -> None:
    error = only_error(HEAD + "servers:\n  - name: a\n    templat: x\n")
    assert (error.line, error.column, error.key) == (9, 5, "servers[0].templat")
    assert error.message == "unknown key 'templat'; did you mean 'template'?"
    assert error.allowed is not None
    assert "template" in error.allowed
    assert "count" in error.allowed
    assert str(error).startswith("spec.yaml:9:5: servers[0].templat: unknown key 'templat'")


def test_unknown_top_level_and_defaults_keys() -> None:
    errors = errors_of("servers: [{name: a}]\ndefaults: {colour: red}\nextra: 1\n")
    assert [(e.line, e.column, e.key) for e in errors] == [
        (2, 12, "defaults.colour"),
        (3, 1, "extra"),
    ]


def test_wrong_types_and_values_point_at_the_value() -> None:
    errors = errors_of(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - name: a
            count: 0
            volumes: [{size_gb: ten}, 7]
        collocation_rules:
          r: {policy: together}
        """
        )
    )
    assert [(e.line, e.column, e.key, e.message) for e in errors] == [
        (9, 12, "servers[0].count", "0 is below the minimum 1"),
        (
            10,
            25,
            "servers[0].volumes[0].size_gb",
            "expected a whole number, got the string 'ten'",
        ),
        (
            10,
            31,
            "servers[0].volumes[1]",
            "expected a name from volumes:, or an inline private volume"
            " {size_gb, storage_template, name, description}, got the number 7",
        ),
        (
            12,
            15,
            "collocation_rules.r.policy",
            "'together' is not allowed: one of affinity, anti-affinity, soft-affinity,"
            " soft-anti-affinity",
        ),
    ]


def test_missing_required_key_points_at_the_mapping() -> None:
    error = only_error("servers:\n  - template: t\n")
    assert (error.line, error.column, error.key) == (2, 5, "servers[0].name")
    assert error.message == "missing required key"


def test_unknown_powervm_key_suggests_the_known_one() -> None:
    error = only_error(HEAD + "servers:\n  - name: a\n    powervm: {max_memory: 1}\n")
    assert (error.line, error.column, error.key) == (9, 15, "servers[0].powervm.max_memory")
    assert error.message == "unknown key 'max_memory'; did you mean 'max_mem'?"


def test_duplicate_keys_are_errors() -> None:
    error = only_error(HEAD + "servers:\n  - name: a\n    name: b\n")
    assert (error.line, error.column, error.key) == (9, 5, "name")
    assert error.message == "key given twice (first on line 8)"


def test_yaml_syntax_error_has_a_position() -> None:
    error = only_error("servers:\n  - name: [a\n")
    assert error.line is not None
    assert error.column is not None
    assert error.message.startswith("invalid YAML:")


def test_empty_and_non_mapping_documents() -> None:
    assert only_error("").message == "expected a mapping, got nothing"
    assert only_error("- a\n").message == "expected a mapping, got a list"


# -- rules beyond the schema -----------------------------------------------------------------------


def test_fixed_ip_on_an_entry_making_several_servers() -> None:
    errors = errors_of(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - name: a
            count: 2
            fixed_ip: 192.168.100.5
          - name: b{1..3}
            networks: [{name: n, fixed_ip: 10.0.0.1}]
        """
        )
    )
    assert [(e.line, e.column, e.message) for e in errors] == [
        (10, 15, "a fixed_ip on an entry that makes 2 servers"),
        (12, 36, "a fixed_ip on an entry that makes 3 servers"),
    ]


def test_reference_and_naming_errors() -> None:
    errors = errors_of(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - name: web{01..02}
            volumes: [shared-dat, {size_gb: 1, name: logs}]
          - name: web02
          - name: bad{1..2}{3..4}
          - name: x
            count: 2
            network: a
            networks: [b]
          - name: y
            fixed_ip: 300.1.1.1
          - name: z
            metadata: {powerbridge:deployment: other}
        volumes:
          shared-data: {size_gb: 1}
          web01-logs: {size_gb: 1, shared: false}
        """
        )
    )
    assert [(e.line, e.key, e.message) for e in errors] == [
        (9, "servers[0].volumes[0]", "unknown volume 'shared-dat'; did you mean 'shared-data'?"),
        (9, "servers[0].volumes[1]", "volume name 'web01-logs' is also made by volumes.web01-logs"),
        (10, "servers[1].name", "server name 'web02' is also made by servers[0]"),
        (11, "servers[2].name", "'bad{1..2}{3..4}' is not a name pattern"),
        (15, "servers[3].networks", "give network or networks, not both"),
        (17, "servers[4].fixed_ip", "'300.1.1.1' is not an IP address"),
        (
            19,
            "servers[5].metadata.powerbridge:deployment",
            "metadata key 'powerbridge:deployment' is reserved: powerbridge sets it",
        ),
    ]


def test_count_with_a_pattern_and_a_backwards_range() -> None:
    errors = errors_of(HEAD + 'servers:\n  - {name: "a{1..2}", count: 2}\n  - name: b{3..1}\n')
    assert [e.message for e in errors] == [
        "count cannot be combined with a name pattern",
        "range {3..1} runs backwards",
    ]


def test_a_volume_listed_by_two_servers_but_not_shared() -> None:
    error = only_error(
        HEAD
        + textwrap.dedent(
            """\
        servers:
          - {name: a, volumes: [data]}
          - {name: b, volumes: [data]}
        volumes:
          data: {size_gb: 1, shared: false}
        """
        )
    )
    assert (error.line, error.key) == (11, "volumes.data.shared")
    assert error.message == "volume 'data' is listed by 2 servers (a, b) but shared is false"


def test_missing_template_after_defaults() -> None:
    error = only_error("servers:\n  - {name: a, image: i, network: n}\n")
    assert (error.line, error.key, error.message) == (
        2,
        "servers[0].template",
        "missing: set it here or in defaults",
    )


def test_duplicate_fixed_ips() -> None:
    error = only_error(
        HEAD + "servers:\n  - {name: a, fixed_ip: 10.0.0.1}\n  - {name: b, fixed_ip: 10.0.0.1}\n"
    )
    assert error.message == "fixed IP 10.0.0.1 is also given at servers[0].fixed_ip"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(["servers", "name", "volumes", "count", "powervm", "x"]),
                children,
                max_size=3,
            )
        ),
        max_leaves=8,
    )
)
def test_any_document_parses_or_raises_spec_errors(document: object) -> None:
    try:
        parse_yaml(yaml.safe_dump(document), name="d")
    except SpecErrors as errors:
        problems = errors.errors
        assert problems


# -- the shipped schema ----------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_and_ships_in_the_package() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "changed"
    assert load_schema()["title"] != "changed"  # a fresh copy each time


def test_schema_powervm_keys_are_the_rule_modules_keys() -> None:
    pattern = load_schema()["$defs"]["powervm"]["propertyNames"]["pattern"]
    names = set(re.search(r"\(([a-z_|]+)\)\$", pattern).group(1).split("|"))  # type: ignore[union-attr]
    assert {powervm.PREFIX + name for name in names} == powervm.KNOWN_KEYS


def test_example_validates_against_the_schema_file() -> None:
    schema = json.loads(
        (Path(powervm.__file__).parent / "deploy" / "schema.json").read_text(encoding="utf-8")
    )
    document = yaml.safe_load((EXAMPLES / "cluster.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_the_documented_example_parses() -> None:
    document = (Path(__file__).parents[2] / "docs" / "deploy-spec.md").read_text(encoding="utf-8")
    block = document.split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = parse_yaml(block)
    assert len(spec.servers) == 13
    assert spec.volumes["shared-data"].shared
    assert spec.servers[10].powervm == {"powervm:max_mem": "32768"}
