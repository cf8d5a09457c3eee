"""The cluster spec: every key read, the defaults, each error located with what is allowed."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from powerbridge import powervm
from powerbridge.deploy import load_schema
from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.model import (
    ApplicationCommandSpec,
    FileSystemSpec,
    LogicalVolumeSpec,
    NodeSpec,
    ScriptSpec,
    SplitMergeSpec,
)
from powerbridge.ha.spec import load_cluster_schema, load_cluster_spec, parse_cluster_spec
from tests.ha.spec_support import MINIMAL, errors_of, parse, with_lines

EXAMPLES = resources.files("powerbridge") / "examples"

# -- what it reads -------------------------------------------------------------------------------


def test_a_minimal_spec_and_its_defaults() -> None:
    spec = parse(MINIMAL)
    assert spec.name == "db"
    assert spec.nodes == (NodeSpec("dba"), NodeSpec("dbb"))
    assert spec.home_node == "dba"
    assert (spec.image, spec.template, spec.network) == ("PowerHA72", "powervm.small", "cmbnet1")
    assert spec.ssh.key_pair == "db-key"
    assert (spec.ssh.private_key, spec.ssh.user) == (None, "root")
    assert (spec.service_ip.label, spec.service_ip.address) == ("db-svc", "192.168.100.251")
    assert not spec.service_ip.allocate
    assert (spec.repository.size_gb, spec.repository.backup) == (1, False)
    storage = spec.shared_storage
    assert (storage.count, storage.size_gb, storage.volume_group) == (1, 10, "datavg")
    assert storage.logical_volumes == ()
    assert storage.file_systems == ()
    group = spec.resource_group
    assert (group.name, group.startup, group.fallover, group.fallback) == (
        "db_rg",
        "OHN",
        "FNPN",
        "NFB",
    )
    assert group.node_priority_policy is None
    assert spec.application.name == "db_app"
    assert spec.application.start == ScriptSpec("/opt/app/start.sh")
    assert spec.application.monitor is None
    assert spec.split_merge is None
    assert spec.heartbeat is None
    assert spec.application_command is None
    assert spec.anti_affinity == "soft"
    assert spec.collocation_rule is None
    assert spec.rule_name == "db-anti-affinity"
    assert spec.powervm == {}
    assert spec.source == "ha.yaml"


FULL = """\
name: sales_db
nodes:
  - {name: sales1, fixed_ip: 192.168.100.31}
  - sales2
  - {name: sales3}
image: PowerHA713
template: powervm.medium
powervm: {max_mem: 16384, "powervm:proc_units": 1.5, dedicated_proc: false}
network: cmbnet1
ssh:
  private_key: keys/id_ed25519
  key_pair: sales
  user: admin
  connect_timeout: 5
  command_timeout: 120.5
service_ip: {label: sales-svc, allocate: true}
repository: {size_gb: 2, storage_template: svc82 base template, backup: true}
shared_storage:
  count: 3
  size_gb: 20
  storage_template: xiv90 base template
  volume_group: salesvg
  logical_volumes:
    - {name: saleslv, size_mb: 2048}
    - {name: saleslog, size_mb: 64, type: jfs2log}
    - {name: salesraw, size_mb: 128, type: raw}
  file_systems:
    - {mount_point: /sales/data, logical_volume: saleslv}
resource_group:
  name: salesrg
  startup: ofan
  fallover: FUDNP
  fallback: fbhpn
  node_priority_policy: cl_highest_free_mem
application:
  name: salesapp
  start: {content: "echo start\\n"}
  stop: {path: /opt/sales/stop, content: "echo stop\\n"}
  monitor:
    script: /opt/sales/check
    interval: 30
    retry_count: 0
split_merge: {split: manual, merge: manual}
heartbeat: multicast
application_command: {command: db2 create database SALES, timeout: 90}
placement: {host_group: POWER9, storage_connectivity_group: rack1 NPIV}
collocation_rule: sales-apart
"""


def test_every_key_is_read(tmp_path: Path) -> None:
    source = str(tmp_path / "sales.yaml")
    spec = parse_cluster_spec(FULL, source=source)
    assert spec.nodes == (
        NodeSpec("sales1", "192.168.100.31"),
        NodeSpec("sales2"),
        NodeSpec("sales3"),
    )
    assert spec.powervm == {
        "powervm:max_mem": "16384",
        "powervm:proc_units": "1.5",
        "powervm:dedicated_proc": "false",
    }
    assert spec.ssh.private_key == os.path.join(str(tmp_path), "keys/id_ed25519")
    assert (spec.ssh.key_pair, spec.ssh.user) == ("sales", "admin")
    assert (spec.ssh.connect_timeout, spec.ssh.command_timeout) == (5.0, 120.5)
    assert spec.service_ip.allocate
    assert spec.service_ip.address is None
    assert spec.repository.size_gb == 2
    assert spec.repository.backup
    assert spec.repository.storage_template == "svc82 base template"
    storage = spec.shared_storage
    assert (storage.count, storage.size_gb, storage.volume_group) == (3, 20, "salesvg")
    assert storage.storage_template == "xiv90 base template"
    assert storage.logical_volumes == (
        LogicalVolumeSpec("saleslv", 2048),
        LogicalVolumeSpec("saleslog", 64, "jfs2log"),
        LogicalVolumeSpec("salesraw", 128, "raw"),
    )
    assert storage.file_systems == (FileSystemSpec("/sales/data", "saleslv"),)
    group = spec.resource_group
    assert (group.name, group.startup, group.fallover, group.fallback) == (
        "salesrg",
        "OFAN",
        "FUDNP",
        "FBHPN",
    )
    assert group.node_priority_policy == "cl_highest_free_mem"
    application = spec.application
    assert application.name == "salesapp"
    assert application.start == ScriptSpec("/opt/powerbridge/salesapp/start.sh", "echo start\n")
    assert application.stop == ScriptSpec("/opt/sales/stop", "echo stop\n")
    assert application.monitor is not None
    assert application.monitor.name == "salesapp_mon"
    assert application.monitor.script == ScriptSpec("/opt/sales/check")
    assert (application.monitor.interval, application.monitor.retry_count) == (30, 0)
    assert spec.split_merge == SplitMergeSpec("manual", "manual")
    assert spec.heartbeat == "multicast"
    assert spec.application_command == ApplicationCommandSpec("db2 create database SALES", 90.0)
    assert spec.placement.host_group == "POWER9"
    assert spec.placement.storage_connectivity_group == "rack1 NPIV"
    assert spec.collocation_rule == spec.rule_name == "sales-apart"
    assert spec.source == source


def test_locations_point_at_the_lines_keys_are_on() -> None:
    spec = parse(FULL)
    lines = FULL.splitlines()
    for path, word in [
        ("repository.size_gb", "repository:"),
        ("service_ip", "service_ip:"),
        ("nodes", "nodes:"),
        ("nodes.1", "- sales2"),
        ("shared_storage.logical_volumes.2.type", "type: raw"),
        ("resource_group.fallover", "fallover:"),
    ]:
        line = spec.line_of(path)
        assert line is not None, (path, line)
        assert word in lines[line - 1], (path, line)
    assert spec.line_of("service_ip.address") == spec.line_of("service_ip")  # its mapping
    assert spec.line_of("no.such.key") is None


def test_node_pattern_and_its_default() -> None:
    spec = parse(with_lines("", nodes="{count: 3, name: 'db{index}x'}"))
    assert spec.node_names == ("db1x", "db2x", "db3x")
    spec = parse(with_lines("", name="Sales_DB", nodes="{count: 2}"))
    assert spec.node_names == ("sales-dbn1", "sales-dbn2")  # {cluster}n{index}, lower case, _ -> -


def test_the_default_node_pattern_is_documented() -> None:
    assert (
        "{cluster}n{index}"
        in load_cluster_schema()["$defs"]["nodePattern"]["properties"]["name"]["description"]
    )


def test_application_command_as_a_string_and_scripts_as_paths_or_contents() -> None:
    spec = parse(
        with_lines(
            "",
            application_command="'ls -l /tmp'",
            application="{name: app1, start: {content: x}, stop: {content: y},"
            " monitor: {script: {content: z}}}",
        )
    )
    assert spec.application_command == ApplicationCommandSpec("ls -l /tmp")
    assert spec.application.start.path == "/opt/powerbridge/app1/start.sh"
    assert spec.application.stop.path == "/opt/powerbridge/app1/stop.sh"
    assert spec.application.monitor is not None
    assert spec.application.monitor.script == ScriptSpec("/opt/powerbridge/app1/monitor.sh", "z")
    assert (spec.application.monitor.interval, spec.application.monitor.retry_count) == (60, 3)


def test_split_merge_defaults_and_a_private_key_outside_the_spec_dir() -> None:
    spec = parse(with_lines("split_merge: {}\nssh: {private_key: ~/k}\n"))
    assert spec.split_merge == SplitMergeSpec("none", "majority")
    assert spec.ssh.private_key == os.path.expanduser("~/k")
    spec = parse_cluster_spec(MINIMAL + "ssh: {private_key: rel/k}\n")  # no source: kept
    assert spec.ssh.private_key == "rel/k"


def test_anchors_and_merge_keys_work() -> None:
    text = MINIMAL.replace(
        "application:\n  start: /opt/app/start.sh\n  stop: /opt/app/stop.sh\n",
        "x-scripts: &scripts {start: /opt/app/start.sh}\n",
    )
    errors = errors_of(text + "application: {<<: *scripts, stop: /opt/app/stop.sh}\n")
    assert errors[0].message.startswith("unknown key 'x-scripts'")  # no free-form keys
    spec = parse(
        MINIMAL.replace("start: /opt/app/start.sh", "start: &s /opt/app/start.sh")
        + "application_command: *s\n"
    )
    assert spec.application_command == ApplicationCommandSpec("/opt/app/start.sh")


# -- the shipped examples and schema -------------------------------------------------------------


@pytest.mark.parametrize(("example", "count"), [("ha-2node.yaml", 2), ("ha-3node.yaml", 3)])
def test_shipped_examples_load_and_validate_against_the_schema_file(
    example: str, count: int
) -> None:
    path = EXAMPLES / example
    spec = load_cluster_spec(str(path))
    assert len(spec.nodes) == count
    assert spec.application.start.content
    assert spec.application.stop.content
    assert spec.application_command is not None
    text = path.read_text(encoding="utf-8")
    assert "db2start" in text
    assert "db2stop" in text
    assert "create database" in text.lower()
    schema = json.loads((resources.files("powerbridge.ha") / "schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))


def test_examples_use_what_the_default_estate_has() -> None:
    estate_text = (resources.files("powerbridge.emulator") / "default_estate.yaml").read_text(
        "utf-8"
    )
    estate = yaml.safe_load(estate_text)
    names = {
        kind: {item["name"] for item in estate[kind]}
        for kind in (
            "images",
            "compute_templates",
            "networks",
            "storage_templates",
            "storage_connectivity_groups",
        )
    }
    for example in ("ha-2node.yaml", "ha-3node.yaml"):
        spec = load_cluster_spec(str(EXAMPLES / example))
        assert spec.image in names["images"]
        assert spec.template in names["compute_templates"]
        assert spec.network in names["networks"]
        for template in (spec.repository.storage_template, spec.shared_storage.storage_template):
            assert template in names["storage_templates"]
        scg = spec.placement.storage_connectivity_group
        assert scg is None or scg in names["storage_connectivity_groups"]


def test_schema_is_valid_draft_2020_12_and_a_fresh_copy() -> None:
    schema = load_cluster_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    schema["title"] = "changed"
    assert load_cluster_schema()["title"] != "changed"


def test_schema_powervm_keys_are_the_deploy_schemas() -> None:
    ours = load_cluster_schema()["$defs"]["powervm"]
    assert ours == load_schema()["$defs"]["powervm"]
    pattern = ours["propertyNames"]["pattern"]
    keys = set(re.search(r"\(([a-z_|]+)\)\$", pattern).group(1).split("|"))  # type: ignore[union-attr]
    assert {powervm.PREFIX + key for key in keys} == powervm.KNOWN_KEYS


def test_a_missing_or_unreadable_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        load_cluster_spec(tmp_path / "absent.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'absent.yaml'}: cannot read the cluster spec")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(SpecErrors, match="not UTF-8 text"):
        load_cluster_spec(binary)


def test_a_bom_is_no_key(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_cluster_spec(path).name == "db"


def test_the_documented_example_parses() -> None:
    document = (Path(__file__).parents[2] / "docs" / "ha.md").read_text(encoding="utf-8")
    block = document.split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = parse_cluster_spec(block)
    assert spec.node_names == ("appha-node1", "appha-node2")
    assert spec.application.start.content == "#!/bin/ksh\n/opt/app/bin/run &\n"
    assert spec.shared_storage.file_systems == (FileSystemSpec("/appdata", "applv"),)


def test_every_schema_key_is_documented() -> None:
    document = (Path(__file__).parents[2] / "docs" / "ha.md").read_text(encoding="utf-8")
    section = document.split("## The cluster spec", 1)[1].split("\n## ", 1)[0]

    def keys(schema: dict[str, object], prefix: str) -> list[str]:
        found = []
        for key, body in schema.get("properties", {}).items():  # type: ignore[attr-defined]
            found.append(prefix + key)
            ref = body.get("$ref", "") if isinstance(body, dict) else ""
            if ref.startswith("#/$defs/") and ref != "#/$defs/name":
                found += keys(definitions[ref.removeprefix("#/$defs/")], f"{prefix}{key}.")
        return found

    schema = load_cluster_schema()
    definitions = schema["$defs"]
    for key in keys(schema, ""):
        assert f"`{key}`" in section or f"`{key.rsplit('.', 1)[-1]}`" in section, key
