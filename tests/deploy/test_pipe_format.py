from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerbridge.deploy import (
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    SpecError,
    SpecErrors,
    VolumeSpec,
    load_pipe,
    load_spec,
    parse_pipe,
    render_pipe,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "two-vms.pipe"
LINE3 = (
    "flavor_name=powervm.small|vm_name=testvm3|image_name=PowerHA713|vlan_name=cmbnet1|"
    "lun_spec=1:3:xiv90 base template:wzq::Non shared data for testvm3|"
    "host_name=|host_group=|storage_connectivity_group="
)
LINE4 = (
    "flavor_name=powervm.small|vm_name=testvm4|image_name=PowerHA713|vlan_name=cmbnet1|"
    "lun_spec=1:2:xiv90 base template:wzq:shared:Shared data for testvm4|"
    "host_name=|host_group=|storage_connectivity_group="
)
FORMAT = "format count:size_gb:storage_template:name_prefix:shared:description"
BASE = "flavor_name=f|vm_name={vm}|image_name=i|vlan_name=n"


def errors_of(text: str, source: str = "two-vms.pipe") -> list[SpecError]:
    with pytest.raises(SpecErrors) as caught:
        parse_pipe(text, source=source)
    return list(caught.value.errors)


def only_error(text: str) -> SpecError:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


# -- the issue's example -------------------------------------------------------------------------


def test_the_example_file_is_the_issues_two_lines() -> None:
    assert EXAMPLE.read_text().splitlines() == [LINE3, LINE4]


def test_issue_example_parses_to_a_private_and_a_shared_volume() -> None:
    spec = load_pipe(EXAMPLE)
    assert spec.name == "two-vms"
    assert spec.source == str(EXAMPLE)
    testvm3, testvm4 = spec.servers
    assert testvm3 == ServerSpec(
        name="testvm3",
        template="powervm.small",
        image="PowerHA713",
        networks=(NetworkSpec("cmbnet1"),),
        volumes=("wzq-testvm3-1",),
    )
    assert testvm4.name == "testvm4"
    assert testvm4.volumes == ("wzq-shared-1",)
    assert testvm3.host is testvm3.host_group is testvm3.storage_connectivity_group is None
    assert spec.volumes == {
        "wzq-testvm3-1": VolumeSpec(
            "wzq-testvm3-1", 3, "xiv90 base template", False, "Non shared data for testvm3"
        ),
        "wzq-shared-1": VolumeSpec(
            "wzq-shared-1", 2, "xiv90 base template", True, "Shared data for testvm4"
        ),
    }
    assert [server.line for server in spec.servers] == [1, 2]


def test_load_spec_picks_the_pipe_format_and_name_overrides_the_stem() -> None:
    assert load_spec(EXAMPLE, name="batch-7").name == "batch-7"


def test_parse_needs_a_name_or_a_source() -> None:
    with pytest.raises(ValueError, match="deployment name"):
        parse_pipe(LINE3)


# -- syntax ---------------------------------------------------------------------------------------


def test_comments_blank_lines_any_key_order_and_whitespace() -> None:
    text = (
        "# deployment of two VMs\n"
        "\n"
        "   # indented comment\n"
        " vlan_name = net1 | image_name=img|vm_name=a |flavor_name=f||\n"
        "fixed_ip=10.0.0.5|vm_name=b|flavor_name=f|image_name=img|vlan_name=net=2\n"
    )
    spec = parse_pipe(text, name="d")
    a, b = spec.servers
    assert (a.name, a.template, a.image, a.network) == ("a", "f", "img", "net1")
    assert a.line == 4
    assert b.networks == (NetworkSpec("net=2", "10.0.0.5"),)  # split at the first '='


def test_host_fields_and_user_data_relative_to_the_spec_file() -> None:
    text = BASE.format(vm="a") + "|host_name=p8-host1|host_group=rack1|"
    text += "storage_connectivity_group=rack1 NPIV|user_data=init/cloud.cfg"
    (server,) = parse_pipe(text, source="/specs/batch.pipe").servers
    assert server.host == "p8-host1"
    assert server.host_group == "rack1"
    assert server.storage_connectivity_group == "rack1 NPIV"
    assert server.user_data == "/specs/init/cloud.cfg"


def test_lun_spec_groups_repeat_and_separate_and_n_continues_per_prefix() -> None:
    text = BASE.format(vm="vm") + (
        "|lun_spec=2:10:t:data::first;1:5:t:log::|lun_spec=1:7:t:data::;;2:1:t:ha:shared:caa"
        "|lun_spec=1:4"
    )
    spec = parse_pipe(text, name="d")
    assert spec.servers[0].volumes == (
        "data-vm-1",
        "data-vm-2",
        "log-vm-1",
        "data-vm-3",
        "ha-shared-1",
        "ha-shared-2",
        "vm-vm-1",
    )
    assert spec.volumes["data-vm-3"] == VolumeSpec("data-vm-3", 7, "t")
    assert spec.volumes["vm-vm-1"] == VolumeSpec("vm-vm-1", 4)  # default template, prefix
    assert spec.volumes["ha-shared-2"] == VolumeSpec("ha-shared-2", 1, "t", True, "caa")


def test_description_keeps_colons_and_shared_is_case_insensitive() -> None:
    text = BASE.format(vm="a") + "|lun_spec=1:3:t:p:SHARED:mount at /data: 10:30 backup"
    spec = parse_pipe(text, name="d")
    assert spec.volumes["p-shared-1"].description == "mount at /data: 10:30 backup"
    assert spec.volumes["p-shared-1"].shared


def test_shared_volumes_with_one_prefix_are_created_once_and_attached_to_each_vm() -> None:
    lun = "|lun_spec=2:50:t:ha:shared:cluster data"
    text = "\n".join(BASE.format(vm=vm) + lun for vm in ("node1", "node2", "node3"))
    spec = parse_pipe(text, name="d")
    assert list(spec.volumes) == ["ha-shared-1", "ha-shared-2"]
    assert all(s.volumes == ("ha-shared-1", "ha-shared-2") for s in spec.servers)
    assert spec.users_of()["ha-shared-1"] == ("node1", "node2", "node3")


def test_empty_lun_spec_means_no_volumes() -> None:
    (server,) = parse_pipe(BASE.format(vm="a") + "|lun_spec=", name="d").servers
    assert server.volumes == ()


# -- errors, each with its exact location ---------------------------------------------------------


def test_error_string_is_one_line_with_file_line_column_key_and_format() -> None:
    bad = LINE4.replace("lun_spec=1:2:", "lun_spec=1:x:")
    error = only_error(LINE3 + "\n" + bad)
    column = bad.index("x:xiv90") + 1
    assert (error.file, error.line, error.column, error.key) == (
        "two-vms.pipe",
        2,
        column,
        "lun_spec",
    )
    assert str(error) == (
        f"two-vms.pipe:2:{column}: lun_spec: size 'x' is not a whole number of GB ({FORMAT})"
    )
    assert column == 94


def test_unknown_key_suggests_and_lists_the_keys() -> None:
    text = BASE.format(vm="a") + "|hostname=p8"
    error = only_error(text)
    assert (error.line, error.column, error.key) == (1, text.index("hostname") + 1, "hostname")
    assert error.message == "unknown key 'hostname'; did you mean 'host_name'?"
    assert error.allowed is not None
    assert error.allowed.startswith("keys: flavor_name, vm_name, image_name, vlan_name, lun_spec")


def test_missing_required_keys_are_each_reported() -> None:
    errors = errors_of("vm_name=a|flavor_name=f")
    assert [(e.line, e.column, e.key, e.message) for e in errors] == [
        (1, None, "image_name", "missing required key"),
        (1, None, "vlan_name", "missing required key"),
    ]
    assert str(errors[0]) == (
        "two-vms.pipe:1: image_name: missing required key"
        " (required keys: vm_name, flavor_name, image_name, vlan_name)"
    )


def test_empty_required_value() -> None:
    text = "vm_name=a|flavor_name=|image_name=i|vlan_name=n"
    error = only_error(text)
    assert (error.column, error.key, error.message) == (23, "flavor_name", "empty value")


def test_field_without_equals() -> None:
    text = BASE.format(vm="a") + "|oops"
    error = only_error(text)
    assert (error.column, error.key, error.message) == (
        len(text) - 3,
        None,
        "'oops' is not key=value",
    )


def test_key_given_twice() -> None:
    text = BASE.format(vm="a") + "|image_name=j"
    error = only_error(text)
    assert (error.column, error.key) == (text.rindex("image_name") + 1, "image_name")
    assert error.message == f"given twice (first at column {text.index('image_name') + 1})"


def test_duplicate_vm_names_name_the_first_line() -> None:
    lun = "|lun_spec=1:1:t:p"
    text = "\n".join([BASE.format(vm="a") + lun, "# comment", BASE.format(vm="a") + lun])
    error = only_error(text)
    assert (error.line, error.column, error.key) == (3, 23, "vm_name")
    assert error.message == "VM name 'a' is already used on line 1"


@pytest.mark.parametrize(
    ("lun", "offset", "message"),
    [
        ("x:3", 0, "count 'x' is not a whole number"),
        ("0:3", 0, "count 0 is out of range: from 1 to 1000"),
        ("1001:3", 0, "count 1001 is out of range: from 1 to 1000"),
        ("1:-3", 2, "size '-3' is not a whole number of GB"),
        ("1: 3.5 :t", 3, "size '3.5' is not a whole number of GB"),
        ("1:0", 2, "size 0 is out of range: at least 1"),
        ("1:3:t:p:yes:d", 8, "shared field 'yes' must be 'shared' or empty"),
        ("7", 0, "'7' needs at least count and size_gb"),
    ],
)
def test_bad_lun_spec_fields(lun: str, offset: int, message: str) -> None:
    text = BASE.format(vm="a") + "|lun_spec=" + lun
    error = only_error(text)
    start = text.index("lun_spec=") + len("lun_spec=") + 1
    assert (error.line, error.column, error.key) == (1, start + offset, "lun_spec")
    assert error.message == message
    assert error.allowed == FORMAT


def test_error_column_in_a_later_group() -> None:
    text = BASE.format(vm="a") + "|lun_spec=1:3:t;  2:z:t"
    error = only_error(text)
    assert error.column == text.index("z") + 1


def test_bad_fixed_ip() -> None:
    text = BASE.format(vm="a") + "|fixed_ip=10.0.0.300"
    error = only_error(text)
    assert (error.column, error.key) == (text.index("10.0") + 1, "fixed_ip")
    assert error.message == "'10.0.0.300' is not an IP address"


def test_shared_volumes_that_disagree_name_both_lines() -> None:
    text = "\n".join(
        [
            BASE.format(vm="a") + "|lun_spec=1:2:t:ha:shared:",
            BASE.format(vm="b") + "|lun_spec=1:3:t:ha:shared:",
        ]
    )
    error = only_error(text)
    assert (error.line, error.column) == (2, text.splitlines()[1].index("1:3") + 1)
    assert error.message == (
        "shared volume 'ha-shared-1' is 3 GB on 't' on line 2 but 2 GB on 't' on line 1"
    )


def test_a_private_name_made_twice_is_an_error() -> None:
    # prefix "x-a" for VM "b" and prefix "x" for VM "a-b" both make "x-a-b-1"
    text = "\n".join(
        [
            BASE.format(vm="b") + "|lun_spec=1:2:t:x-a",
            BASE.format(vm="a-b") + "|lun_spec=1:2:t:x",
        ]
    )
    error = only_error(text)
    assert error.line == 2
    assert error.message == "volume name 'x-a-b-1' is also made on line 1 (VM b)"


def test_all_errors_of_a_file_are_collected_in_order() -> None:
    text = "\n".join(
        [
            "vm_name=a|flavor_name=f|image_name=i",
            BASE.format(vm="b") + "|lun_spec=1:x|colour=red",
            BASE.format(vm="b"),
        ]
    )
    errors = errors_of(text)
    assert [(e.line, e.key) for e in errors] == [
        (1, "vlan_name"),
        (2, "lun_spec"),
        (2, "colour"),
        (3, "vm_name"),
    ]
    assert str(SpecErrors(errors)).count("\n") == 3


def test_a_file_without_vm_lines() -> None:
    error = only_error("# nothing yet\n\n")
    assert str(error) == "two-vms.pipe: the file has no VM lines"


@given(st.text(alphabet="a=|:;#\n 1x_-", max_size=80))
def test_any_text_parses_or_raises_spec_errors(text: str) -> None:
    try:
        parse_pipe(text, name="d")
    except SpecErrors as errors:
        problems = errors.errors
        assert problems


# -- rendering and the round trip -----------------------------------------------------------------

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=8)
_VALUE = st.text(alphabet="abcXYZ019 .:=/_-", min_size=1, max_size=12).filter(
    lambda text: text == text.strip()
)
_FIELD = st.text(alphabet="abcXYZ019 ._/", min_size=1, max_size=12).filter(
    lambda text: text == text.strip()
)
_DESCRIPTION = st.none() | st.text(alphabet="abc XYZ:=/#,", min_size=1, max_size=20).filter(
    lambda text: text == text.strip()
)


@st.composite
def pipe_specs(draw: st.DrawFn) -> DeploymentSpec:
    """Specs the pipe format can hold, built with the naming rules written out."""
    vm_names = draw(
        st.lists(_NAME.filter(lambda n: n != "shared"), min_size=1, max_size=5, unique=True)
    )
    shared_pool = draw(
        st.dictionaries(
            _NAME,
            st.tuples(st.integers(1, 500), st.none() | _FIELD, _DESCRIPTION),
            max_size=2,
        )
    )
    volumes: dict[str, VolumeSpec] = {}
    servers = []
    for vm in vm_names:
        counters: dict[tuple[str, bool], int] = {}
        names: list[str] = []
        for _ in range(draw(st.integers(0, 3))):
            shared = bool(shared_pool) and draw(st.booleans())
            count = draw(st.integers(1, 3))
            if shared:
                prefix = draw(st.sampled_from(sorted(shared_pool)))
                size, template, description = shared_pool[prefix]
            else:
                prefix = draw(st.none() | _NAME) or vm
                size = draw(st.integers(1, 500))
                template = draw(st.none() | _FIELD)
                description = draw(_DESCRIPTION)
            for _ in range(count):
                n = counters[(prefix, shared)] = counters.get((prefix, shared), 0) + 1
                name = f"{prefix}-shared-{n}" if shared else f"{prefix}-{vm}-{n}"
                volumes.setdefault(name, VolumeSpec(name, size, template, shared, description))
                names.append(name)
        fixed_ip = draw(st.none() | st.ip_addresses(v=4).map(str))
        servers.append(
            ServerSpec(
                name=vm,
                template=draw(_VALUE),
                image=draw(_VALUE),
                networks=(NetworkSpec(draw(_VALUE), fixed_ip),),
                volumes=tuple(names),
                host=draw(st.none() | _VALUE),
                host_group=draw(st.none() | _VALUE),
                storage_connectivity_group=draw(st.none() | _VALUE),
                user_data=draw(st.none() | _VALUE),
            )
        )
    return DeploymentSpec("round-trip", tuple(servers), volumes)


@settings(max_examples=200)
@given(pipe_specs())
def test_render_then_parse_gives_the_same_spec(spec: DeploymentSpec) -> None:
    text = render_pipe(spec)
    assert parse_pipe(text, name="round-trip") == spec


def test_render_merges_consecutive_volumes_into_one_group() -> None:
    spec = parse_pipe(BASE.format(vm="a") + "|lun_spec=1:3:t:p::d;1:3:t:p::d", name="d")
    assert "|lun_spec=2:3:t:p::d|" in render_pipe(spec)


def test_render_refuses_what_the_format_cannot_hold() -> None:
    server = ServerSpec("a", "f", "i", (NetworkSpec("n"),), powervm={"max_mem": "1"})
    with pytest.raises(ValueError, match="overrides"):
        render_pipe(DeploymentSpec("d", (server,)))
    volume = VolumeSpec("data", 1)
    server = ServerSpec("a", "f", "i", (NetworkSpec("n"),), volumes=("data",))
    with pytest.raises(ValueError, match="naming rules"):
        render_pipe(DeploymentSpec("d", (server,), {"data": volume}))
    server = ServerSpec("a|b", "f", "i", (NetworkSpec("n"),))
    with pytest.raises(ValueError, match="cannot be written"):
        render_pipe(DeploymentSpec("d", (server,)))
