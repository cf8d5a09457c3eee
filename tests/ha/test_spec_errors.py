"""Cluster spec errors: each names the file, line, column and key, and says what is allowed."""

from __future__ import annotations

import pytest

from powerbridge.deploy.errors import SpecError, SpecErrors
from tests.ha.spec_support import MINIMAL, errors_of, only_error, parse, with_lines


def line_of(text: str, word: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if word in line)


# -- YAML and schema -----------------------------------------------------------------------------


def test_unknown_keys_at_their_line_with_a_suggestion_and_the_allowed_keys() -> None:
    text = MINIMAL + "aplication_command: ls\nrepository: {size_gb: 1, bakup: true}\n"
    first, second = errors_of(text)
    assert (first.file, first.line, first.column) == ("ha.yaml", 10, 1)
    assert first.key == "aplication_command"
    assert first.message == "unknown key 'aplication_command'; did you mean 'application_command'?"
    assert first.allowed is not None
    assert "anti_affinity" in first.allowed
    assert (second.line, second.key) == (11, "repository.bakup")
    assert second.message == "unknown key 'bakup'; did you mean 'backup'?"
    assert second.allowed == "allowed keys: backup, size_gb, storage_template"


def test_unknown_powervm_key_suggests_the_known_one() -> None:
    error = only_error(MINIMAL + "powervm: {max_memory: 4096}\n")
    assert error.key == "powervm.max_memory"
    assert error.message == "unknown key 'max_memory'; did you mean 'max_mem'?"


def test_missing_required_keys_are_each_named() -> None:
    errors = errors_of(with_lines("", image="", service_ip="{address: 192.168.100.9}"))
    assert {(error.key, error.message) for error in errors} == {
        ("image", "missing required key"),
        ("service_ip.label", "missing required key"),
    }


@pytest.mark.parametrize(
    ("extra", "key", "message", "allowed"),
    [
        (
            "repository: {size_gb: big}\n",
            "repository.size_gb",
            "expected a whole number, got the string 'big'",
            "whole GB, 1 to 460 (CAA takes 512 MB to 460 GB); default 1",
        ),
        ("repository: {size_gb: 0}\n", "repository.size_gb", "0 is below the minimum 1", None),
        (
            "repository: {size_gb: 461}\n",
            "repository.size_gb",
            "461 is above the maximum 460",
            None,
        ),
        (
            "resource_group: {startup: OXX}\n",
            "resource_group.startup",
            "'OXX' is not allowed: one of OHN, OFAN, OAAN, OUDP",
            None,
        ),
        (
            "resource_group: {fallback: never}\n",
            "resource_group.fallback",
            "'never' is not allowed: one of NFB, FBHPN",
            None,
        ),
        (
            "anti_affinity: medium\n",
            "anti_affinity",
            "'medium' is not allowed: one of soft, hard",
            None,
        ),
        (
            "heartbeat: broadcast\n",
            "heartbeat",
            "'broadcast' is not allowed: one of unicast, multicast",
            None,
        ),
        (
            "split_merge: {split: coin}\n",
            "split_merge.split",
            "'coin' is not allowed: one of none, tiebreaker, manual, cloud",
            None,
        ),
        ("ssh: {connect_timeout: 0}\n", "ssh.connect_timeout", "0 is not more than 0", None),
        (
            "shared_storage: {count: 65}\n",
            "shared_storage.count",
            "65 is above the maximum 64",
            None,
        ),
        (
            "application_command: {timeout: 5}\n",
            "application_command.command",
            "missing required key",
            None,
        ),
        ("service_ip: {label: x, allocate: yes please}\n", "service_ip.allocate", None, None),
    ],
)
def test_wrong_values_point_at_the_value(
    extra: str, key: str, message: str | None, allowed: str | None
) -> None:
    text = with_lines(extra, **{extra.split(":")[0]: ""})
    error = only_error(text)
    assert error.key == key
    assert error.line == line_of(text, extra.split(":")[0] + ":")
    if message is not None:
        assert error.message == message
    if allowed is not None:
        assert error.allowed == allowed
    assert error.file == "ha.yaml"


def test_node_counts_outside_two_to_eight() -> None:
    error = only_error(with_lines("", nodes="[dba]"))
    assert (error.key, error.message) == ("nodes", "1 given, at least 2 needed")
    error = only_error(with_lines("", nodes=str([f"n{i}" for i in range(9)])))
    assert error.message == "9 given, at most 8 allowed"
    error = only_error(with_lines("", nodes="{count: 1}"))
    assert (error.key, error.message) == ("nodes.count", "1 is below the minimum 2")
    error = only_error(with_lines("", nodes="{count: 9}"))
    assert error.message == "9 is above the maximum 8"
    error = only_error(with_lines("", nodes="{name: 'db{index}'}"))
    assert (error.key, error.message) == ("nodes.count", "missing required key")
    error = only_error(with_lines("", nodes="dba"))
    assert error.message.startswith("expected 2 to 8 node names")


def test_duplicate_keys_syntax_errors_and_odd_documents() -> None:
    error = only_error(MINIMAL + "image: AIX72\n")
    assert (error.line, error.key) == (10, "image")
    assert error.message == "key given twice (first on line 3)"
    error = only_error(MINIMAL + "heartbeat: [unicast\n")
    assert error.line is not None
    assert error.message.startswith("invalid YAML:")
    assert only_error("").message == "expected a mapping, got nothing"
    assert only_error("- a\n").message == "expected a mapping, got a list"


def test_every_problem_of_the_file_is_listed_in_order_and_printed_compiler_style() -> None:
    text = MINIMAL.replace("name: db", "name: 1db").replace("[dba, dbb]", "[dba, dba]")
    text += "shared_storage: {volume_group: rootvg}\n"
    with pytest.raises(SpecErrors) as caught:
        parse(text)
    errors = caught.value.errors
    assert [error.line for error in errors] == [1, 2, 10]
    assert str(errors[0]) == (
        "ha.yaml:1:7: name: '1db' is not a valid PowerHA name as a cluster name (letters, "
        "digits and _, starting with a letter, at most 64 characters)"
    )
    assert str(errors[1]) == "ha.yaml:2:14: nodes[1]: node 'dba' is also nodes[0] (unique names)"
    assert errors[2].message == "'rootvg' is AIX's own volume group"
    assert str(caught.value).count("\n") == 2  # one line per problem


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("1db", "'1db' is not a valid PowerHA name as a cluster name"),
        ("db-prod", "'db-prod' is not a valid PowerHA name as a cluster name"),
        ("d" * 65, f"'{'d' * 65}' is longer than 64 characters as a cluster name"),
    ],
)
def test_cluster_name_rule(name: str, message: str) -> None:
    error = only_error(MINIMAL.replace("name: db", f"name: {name}"))
    assert (error.key, error.message) == ("name", message)
    assert error.allowed == ("letters, digits and _, starting with a letter, at most 64 characters")


def test_a_64_character_cluster_name_is_fine_but_its_default_group_name_is_not() -> None:
    name = "d" * 64
    errors = errors_of(MINIMAL.replace("name: db", f"name: {name}"))
    messages = {(error.key, error.message.split(":")[0]) for error in errors}
    assert ("resource_group", f"the default name '{name}_rg' is longer than 64 characters") in (
        messages
    )
    assert any(error.key == "application" for error in errors)
    spec = parse(
        MINIMAL.replace("name: db", f"name: {name}").replace(
            "application:\n", "resource_group: {name: rg}\napplication:\n  name: app\n"
        )
    )
    assert spec.name == name


@pytest.mark.parametrize(
    ("nodes", "key", "message"),
    [
        ("[dba, db_b]", "nodes[1]", "'db_b' is not a valid host name as a node name"),
        (
            "[dba, DBB]",
            "nodes[1]",
            "'DBB' has capitals: PowerVC makes the host name 'dbb' as a node name",
        ),
        ("[dba, 9db]", "nodes[1]", "'9db' is not a valid host name as a node name"),
        ("[dba, db-]", "nodes[1]", "'db-' is not a valid host name as a node name"),
        (
            f"[dba, {'n' * 64}]",
            "nodes[1]",
            f"'{'n' * 64}' is longer than 63 characters as a node name",
        ),
        ("[dba, {name: 'd b'}]", "nodes[1].name", "'d b' is not a valid host name as a node name"),
        (
            "{count: 2, name: 'db_{index}'}",
            "nodes.name",
            "'db_1' is not a valid host name as a node name (made by the pattern 'db_{index}')",
        ),
    ],
)
def test_node_names_are_aix_host_names(nodes: str, key: str, message: str) -> None:
    error = only_error(with_lines("", nodes=nodes))
    assert (error.key, error.message) == (key, message)
    assert error.allowed is not None
    assert error.allowed.startswith("an AIX host name")


@pytest.mark.parametrize(
    "pattern", ["db", "db{index}{index}", "{host}{index}", "db{index", "x}{index}"]
)
def test_bad_node_patterns(pattern: str) -> None:
    error = only_error(with_lines("", nodes=f"{{count: 2, name: '{pattern}'}}"))
    assert (error.key, error.message) == ("nodes.name", f"'{pattern}' is not a node name pattern")
    assert error.allowed is not None
    assert "{index}" in error.allowed


def test_a_long_cluster_name_makes_node_names_too_long_for_the_default_pattern() -> None:
    text = with_lines("", name="c" * 62, nodes="{count: 2}")
    errors = errors_of(text)
    assert any(
        error.key == "nodes" and "longer than 63 characters" in error.message for error in errors
    )


# -- addresses -----------------------------------------------------------------------------------


def test_fixed_ips_and_the_service_address() -> None:
    error = only_error(with_lines("", nodes="[{name: a1, fixed_ip: 10.0.0.300}, a2]"))
    assert (error.key, error.message) == ("nodes[0].fixed_ip", "'10.0.0.300' is not an IP address")
    assert error.allowed == "an IPv4 or IPv6 address"
    error = only_error(
        with_lines("", nodes="[{name: a1, fixed_ip: 10.0.0.5}, {name: a2, fixed_ip: 10.0.0.5}]")
    )
    assert (error.key, error.message) == (
        "nodes[1].fixed_ip",
        "address 10.0.0.5 is also given at nodes[0].fixed_ip",
    )
    text = with_lines(
        "",
        nodes="[{name: a1, fixed_ip: 192.168.100.251}, a2]",
    )
    error = only_error(text)
    assert (error.key, error.message) == (
        "service_ip.address",
        "address 192.168.100.251 is also given at nodes[0].fixed_ip",
    )


def test_service_ip_needs_exactly_one_of_address_and_allocate() -> None:
    both = with_lines("", service_ip="{label: s, address: 10.1.1.1, allocate: true}")
    error = only_error(both)
    assert (error.key, error.message) == (
        "service_ip.allocate",
        "give address or allocate: true, not both",
    )
    assert error.line == line_of(both, "allocate:")
    neither = with_lines("", service_ip="{label: s, allocate: false}")
    error = only_error(neither)
    assert (error.key, error.message) == (
        "service_ip.address",
        "missing: give address or allocate: true",
    )
    assert error.line == line_of(neither, "label: s")  # where the mapping starts
    assert error.allowed == "address: <an IP of the network's subnet>, or allocate: true"


def test_service_label_rules() -> None:
    error = only_error(with_lines("", service_ip="{label: dba, allocate: true}"))
    assert error.key == "service_ip.label"
    assert error.message == "'dba' is a node's name: the service label needs a name of its own"
    error = only_error(with_lines("", service_ip="{label: svc_1, allocate: true}"))
    assert error.message == "'svc_1' is not a valid host name as a service label"


# -- storage -------------------------------------------------------------------------------------

STORAGE = """\
shared_storage:
  count: 1
  size_gb: 1
  logical_volumes:
    - {name: datalv, size_mb: 512}
    - {name: loglv, size_mb: 8, type: jfs2log}
  file_systems:
"""


def storage_error(file_systems: str, logical_volumes: str = "") -> SpecError:
    text = STORAGE.replace("  file_systems:\n", logical_volumes + "  file_systems:\n")
    return only_error(MINIMAL + text + file_systems)


def test_a_file_system_on_an_unknown_logical_volume() -> None:
    error = storage_error("    - {mount_point: /data, logical_volume: datalvv}\n")
    assert error.key == "shared_storage.file_systems[0].logical_volume"
    assert error.message == "unknown logical volume 'datalvv'; did you mean 'datalv'?"
    assert error.allowed == "a name from shared_storage.logical_volumes"
    assert error.line == 17


def test_file_system_rules() -> None:
    error = storage_error("    - {mount_point: /log, logical_volume: loglv}\n")
    assert error.message == "logical volume 'loglv' is jfs2log"
    assert error.allowed == "a file system needs a jfs2 logical volume"
    error = storage_error(
        "    - {mount_point: /a, logical_volume: datalv}\n"
        "    - {mount_point: /b, logical_volume: datalv}\n"
    )
    assert (error.key, error.message) == (
        "shared_storage.file_systems[1].logical_volume",
        "logical volume 'datalv' already holds /a",
    )
    error = storage_error(
        "    - {mount_point: /a, logical_volume: datalv}\n"
        "    - {mount_point: /a, logical_volume: datalv}\n"
    )
    assert error.message == "mount point /a is listed twice"
    for mount, message in [
        ("/tmp", "'/tmp' is a rootvg file system"),
        ("data", "'data' is not an absolute path"),
        ("/da ta", "'/da ta' has a blank"),
        ("/data/", "'/data/' ends with /"),
    ]:
        error = storage_error(f"    - {{mount_point: '{mount}', logical_volume: datalv}}\n")
        assert (error.key, error.message) == ("shared_storage.file_systems[0].mount_point", message)


def test_logical_volume_and_volume_group_names() -> None:
    error = storage_error("    []\n", "    - {name: datalv, size_mb: 1}\n")
    assert (error.key, error.message) == (
        "shared_storage.logical_volumes[2].name",
        "logical volume 'datalv' is listed twice",
    )
    error = storage_error("    []\n", "    - {name: averyverylongname, size_mb: 1}\n")
    assert error.message == "'averyverylongname' is longer than 15 characters"
    assert error.allowed == "letters, digits and _, starting with a letter, at most 15 characters"
    error = only_error(MINIMAL + "shared_storage: {volume_group: caavg_private}\n")
    assert (error.key, error.message) == (
        "shared_storage.volume_group",
        "'caavg_private' is AIX's own volume group",
    )


def test_logical_volumes_must_fit_the_shared_volumes() -> None:
    error = storage_error("    []\n", "    - {name: biglv, size_mb: 600}\n")
    assert error.key == "shared_storage.logical_volumes"
    assert error.message == "the logical volumes take 1120 MB, more than the 1024 MB of 1 x 1 GB"
    assert error.allowed == "smaller logical volumes, or a larger count or size_gb"


# -- resources and placement ---------------------------------------------------------------------


def test_script_rules() -> None:
    text = with_lines("", application="{start: opt/start, stop: /opt/stop}")
    error = only_error(text)
    assert (error.key, error.message) == (
        "application.start",
        "'opt/start' is not an absolute path",
    )
    error = only_error(with_lines("", application="{start: /opt/s, stop: {path: /opt/s}}"))
    assert (error.key, error.message) == (
        "application.stop.path",
        "/opt/s is also application.start",
    )
    error = only_error(with_lines("", application="{start: /opt/s, stop: {}}"))
    assert (error.key, error.message) == ("application.stop", "give path, content or both")
    error = only_error(with_lines("", application="{name: bad-name, start: /opt/s, stop: /opt/t}"))
    assert (error.key, error.message) == (
        "application.name",
        "'bad-name' is not a valid PowerHA name",
    )


def test_anti_affinity_or_an_existing_rule_not_both() -> None:
    error = only_error(MINIMAL + "anti_affinity: hard\ncollocation_rule: apart\n")
    assert (error.key, error.line) == ("anti_affinity", 10)
    assert error.allowed == "anti_affinity or collocation_rule, not both"


def test_a_powervm_key_given_with_and_without_its_prefix() -> None:
    error = only_error(MINIMAL + "powervm: {max_mem: 1, 'powervm:max_mem': 2}\n")
    assert error.key == "powervm.powervm:max_mem"
    assert (
        error.message == "'powervm:max_mem' is given twice (with and without the powervm: prefix)"
    )


def test_an_invalid_cluster_name_is_reported_once_not_through_the_names_made_from_it() -> None:
    error = only_error(with_lines("", name="1_db", nodes="{count: 2}"))
    assert error.key == "name"
