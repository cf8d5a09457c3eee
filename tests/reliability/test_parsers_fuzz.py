"""Hostile input to the spec parsers: the HA cluster spec (YAML) and the deploy specs (the pipe
format and YAML). Whatever the text, each answers with a spec or with SpecErrors whose every
error is located (the file, and a line once the text has any); never another exception.

tests/ha/test_spec_fuzz.py already throws documents built from the HA schema's keys at the HA
parser; here it gets what that does not: raw text (any characters, control bytes, broken
UTF-8 decoded with replacement, YAML tags and anchors, huge numbers) and line-level splices of
the examples. Seeded and bounded: each test runs a fixed number of examples with a fixed seed.
"""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from powerbridge.deploy import load_spec, parse_pipe, parse_yaml
from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.spec import load_cluster_spec, parse_cluster_spec

pytestmark = pytest.mark.reliability

EXAMPLES = resources.files("powerbridge") / "examples"
HA_EXAMPLES = [(EXAMPLES / n).read_text("utf-8") for n in ("ha-2node.yaml", "ha-3node.yaml")]
DEPLOY_YAML = (EXAMPLES / "cluster.yaml").read_text("utf-8")
PIPE = (EXAMPLES / "two-vms.pipe").read_text("utf-8")
SOURCE = "fuzz.spec"
BOUNDED = settings(
    max_examples=300,
    deadline=None,
    database=None,  # no example database: the run is the seed's, not the last run's
    suppress_health_check=[HealthCheck.too_slow],
)

# what breaks parsers: YAML's own syntax, tags, anchors, control characters, unicode edges
HOSTILE = [
    "!!python/object:os.system", "!!binary", "!!timestamp", "&a", "*a", "<<: *a", "? ", "---",
    "...", "%YAML 1.1", "%TAG", "\t", "\x00", "\x85", "\u2028", "\ufeff", "\udcff", "'", '"',
    "{", "}", "[", "]", ": ", "- ", "|", ">", "#", "9" * 400, "1e999", "-.inf", ".nan", "0x1F",
    "0o17", "~", "null", "yes", "no", "on", "2026-12-04", "=", "==", ":::", "|||", "\\",
]  # fmt: skip
FRAGMENTS = st.sampled_from(HOSTILE) | st.text(max_size=6)
RAW_TEXT = st.lists(FRAGMENTS, max_size=30).map("".join) | st.binary(max_size=300).map(
    lambda data: data.decode("utf-8", errors="replace")
)


def lines_spliced(example: str) -> st.SearchStrategy[str]:
    """The example with lines removed, duplicated, moved or with hostile fragments inserted."""
    lines = example.splitlines(keepends=True)

    @st.composite
    def splice(draw: st.DrawFn) -> str:
        edited = list(lines)
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            at = draw(st.integers(min_value=0, max_value=max(len(edited) - 1, 0)))
            how = draw(st.sampled_from(["drop", "twice", "insert", "cut"]))
            if not edited:
                edited.append(draw(FRAGMENTS))
            elif how == "drop":
                del edited[at]
            elif how == "twice":
                edited.insert(at, edited[at])
            elif how == "insert":
                edited.insert(at, draw(FRAGMENTS) + "\n")
            else:
                line = edited[at]
                cut = draw(st.integers(min_value=0, max_value=len(line)))
                edited[at] = line[:cut] + draw(FRAGMENTS) + line[cut:]
        return "".join(edited)

    return splice()


# problems of the file as a whole: no line is theirs (the file names them)
WHOLE_FILE = {"the file has no VM lines", "expected a mapping, got nothing"}


def assert_located(errors: SpecErrors, text: str) -> None:
    assert errors.errors, "SpecErrors without an error"
    for error in errors.errors:
        assert error.file == SOURCE, str(error)
        if error.message not in WHOLE_FILE:
            assert error.line is not None, str(error)
            # YAML also breaks lines at \r, \x85 and \u2028 (splitlines counts those and
            # more); an "expected ..." at the end of the file is on the line after the last
            assert 1 <= error.line <= len(text.splitlines()) + 1, str(error)
        assert "\n" not in str(error), str(error)


def answers(parse: object, text: str) -> None:
    try:
        parse(text)  # type: ignore[operator]
    except SpecErrors as errors:
        assert_located(errors, text)


def ha(text: str) -> object:
    return parse_cluster_spec(text, source=SOURCE)


def pipe(text: str) -> object:
    return parse_pipe(text, name="fuzz", source=SOURCE)


def deploy_yaml(text: str) -> object:
    return parse_yaml(text, name="fuzz", source=SOURCE)


# -- the HA cluster spec ------------------------------------------------------------------------
@seed(2001)
@BOUNDED
@given(RAW_TEXT)
def test_any_text_as_a_cluster_spec_is_answered_with_located_errors(text: str) -> None:
    answers(ha, text)


@seed(2002)
@BOUNDED
@given(st.sampled_from(HA_EXAMPLES).flatmap(lines_spliced))
def test_spliced_cluster_examples_are_answered_with_located_errors(text: str) -> None:
    answers(ha, text)


# -- the deploy pipe format ---------------------------------------------------------------------
PIPE_PIECES = st.sampled_from(["|", "=", ":", "\n", "#", " ", "lun_spec=", "vm_name=", "1:"])


@seed(2003)
@BOUNDED
@given(RAW_TEXT | st.lists(PIPE_PIECES | FRAGMENTS, max_size=40).map("".join))
def test_any_text_as_a_pipe_file_is_answered_with_located_errors(text: str) -> None:
    answers(pipe, text)


@seed(2004)
@BOUNDED
@given(lines_spliced(PIPE))
def test_spliced_pipe_examples_are_answered_with_located_errors(text: str) -> None:
    answers(pipe, text)


# -- the deploy YAML format ---------------------------------------------------------------------
@seed(2005)
@BOUNDED
@given(RAW_TEXT)
def test_any_text_as_a_deploy_yaml_is_answered_with_located_errors(text: str) -> None:
    answers(deploy_yaml, text)


@seed(2006)
@BOUNDED
@given(lines_spliced(DEPLOY_YAML))
def test_spliced_deploy_yaml_examples_are_answered_with_located_errors(text: str) -> None:
    answers(deploy_yaml, text)


DEPLOY_KEYS = [
    "deployment", "defaults", "servers", "volumes", "collocation_rules", "name", "count",
    "template", "image", "network", "networks", "fixed_ip", "size_gb", "shared", "host",
    "host_group", "storage_template", "metadata", "powervm", "user_data", "policy", "x",
]  # fmt: skip
ODD_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["{index}", "a-{1..3}", "10.0.0.999", "-1", "0", "PowerHA713"])
)
DOCUMENTS = st.recursive(
    ODD_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(DEPLOY_KEYS) | ODD_SCALARS, children, max_size=4)
    ),
    max_leaves=12,
)


@seed(2007)
@BOUNDED
@given(DOCUMENTS)
def test_any_document_as_a_deploy_yaml_is_answered_with_located_errors(document: object) -> None:
    try:
        text = yaml.safe_dump(document)
    except (yaml.YAMLError, ValueError):  # a document YAML itself cannot write
        return
    answers(deploy_yaml, text)


# -- files: any bytes, as a user's editor may have saved them ------------------------------------
@seed(2008)
@settings(BOUNDED, max_examples=100)
@given(
    st.sampled_from(["spec.yaml", "spec.pipe", "cluster.yaml"]),
    st.binary(max_size=200) | st.sampled_from([*HA_EXAMPLES, PIPE]).map(str.encode),
    st.binary(max_size=3),
)
def test_any_bytes_in_a_spec_file_are_answered_with_located_errors(
    tmp_path_factory: pytest.TempPathFactory, file_name: str, body: bytes, tail: bytes
) -> None:
    path = tmp_path_factory.mktemp("spec") / file_name
    path.write_bytes(body + tail)
    load = load_cluster_spec if file_name == "cluster.yaml" else load_spec
    try:
        load(path)
    except SpecErrors as errors:
        assert_from_file(errors, str(path))


def assert_from_file(errors: SpecErrors, path: str) -> None:
    assert errors.errors
    for error in errors.errors:
        assert error.file == path, str(error)
        assert "\n" not in str(error), str(error)
