"""Whatever the file holds, the parser answers with a ClusterSpec or SpecErrors, nothing else."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.spec import load_cluster_schema, parse_cluster_spec

EXAMPLES = resources.files("powerbridge") / "examples"
EXAMPLE_TEXTS = [
    (EXAMPLES / name).read_text(encoding="utf-8") for name in ("ha-2node.yaml", "ha-3node.yaml")
]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [*sorted(load_cluster_schema()["properties"]), "label", "count", "name", "path", "x"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["{index}", "{cluster}n{index}", "/opt/x", "10.0.0.1", "OHN", "jfs2"])
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=3)
    ),
    max_leaves=8,
)


def answers(text: str) -> None:
    try:
        spec = parse_cluster_spec(text, source="fuzz.yaml")
    except SpecErrors as errors:
        problems = errors.errors
    else:
        assert isinstance(spec, ClusterSpec)
        assert 2 <= len(spec.nodes) <= 8
        return
    assert problems
    assert all(str(problem).startswith("fuzz.yaml") for problem in problems)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8) | VALUES)
def test_any_document_parses_or_raises_spec_errors(document: object) -> None:
    answers(yaml.safe_dump(document))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _mutated(document: Any, path: tuple[Any, ...], operation: str, value: Any) -> Any:
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "replace":
        parent[last] = value
    elif isinstance(parent, dict):  # "add": a key beside the chosen one
        parent[f"{last}x"] = value
    else:
        parent.append(value)
    return document


@SETTINGS
@given(
    st.sampled_from(range(len(EXAMPLE_TEXTS))),
    st.data(),
    st.lists(st.sampled_from(["delete", "replace", "add"]), min_size=1, max_size=3),
)
def test_mutations_of_the_examples_parse_or_raise_spec_errors(
    which: int, data: st.DataObject, operations: list[str]
) -> None:
    document = yaml.safe_load(EXAMPLE_TEXTS[which])
    for operation in operations:
        paths = _paths(document)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        document = _mutated(document, path, operation, data.draw(VALUES))
    answers(yaml.safe_dump(document))


@SETTINGS
@given(
    st.sampled_from(range(len(EXAMPLE_TEXTS))),
    st.integers(min_value=0, max_value=4000),
    st.integers(min_value=0, max_value=3),
    st.text(alphabet="{}[]:-&*!|>'\"#, \n\tx1", max_size=4),
)
def test_text_edits_of_the_examples_parse_or_raise_spec_errors(
    which: int, position: int, cut: int, insert: str
) -> None:
    text = EXAMPLE_TEXTS[which]
    position %= len(text)
    answers(text[:position] + insert + text[position + cut :])


def test_a_deep_or_aliased_document_is_answered() -> None:
    deep = "name: " + "[" * 2000 + "]" * 2000 + "\n"
    answers(deep)
    laughs = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    answers(laughs + "nodes: *i\n")
