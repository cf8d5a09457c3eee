from __future__ import annotations

import pickle

import pytest

from powerbridge.deploy import (
    CollocationRuleSpec,
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    SpecError,
    SpecErrors,
    VolumeSpec,
)


def make(name: str = "a", **kw: object) -> ServerSpec:
    return ServerSpec(name, "t", "i", (NetworkSpec("n"),), **kw)  # type: ignore[arg-type]


def test_powervm_override_keys_are_normalised_and_values_are_strings() -> None:
    server = make(powervm={"max_mem": 8192, "powervm:uncapped": "false", " min_mem ": "1"})
    assert server.powervm == {
        "powervm:max_mem": "8192",
        "powervm:uncapped": "false",
        "powervm:min_mem": "1",
    }
    assert server.network == "n"
    assert server.fixed_ip is None


def test_line_numbers_and_source_take_no_part_in_equality() -> None:
    assert make(line=3) == make(line=9)
    assert VolumeSpec("v", 1, line=1) == VolumeSpec("v", 1, line=2)
    assert DeploymentSpec("d", (make(),), source="x") == DeploymentSpec("d", (make(),))


def test_a_deployment_is_consistent_by_construction() -> None:
    with pytest.raises(ValueError, match="used twice"):
        DeploymentSpec("d", (make(), make()))
    with pytest.raises(ValueError, match="unknown volumes"):
        DeploymentSpec("d", (make(volumes=("v",)),))
    with pytest.raises(ValueError, match="not shared"):
        DeploymentSpec(
            "d",
            (make("a", volumes=("v",)), make("b", volumes=("v",))),
            {"v": VolumeSpec("v", 1)},
        )
    with pytest.raises(ValueError, match="reserved"):
        make(metadata={"powerbridge:deployment": "x"})
    with pytest.raises(ValueError, match="policy"):
        CollocationRuleSpec("r", "apart")
    with pytest.raises(ValueError, match="deployment name"):
        DeploymentSpec(" d", ())


def test_users_of_lists_the_servers_of_each_volume() -> None:
    spec = DeploymentSpec(
        "d",
        (make("a", volumes=("v", "w")), make("b", volumes=("v",))),
        {"v": VolumeSpec("v", 1, shared=True), "w": VolumeSpec("w", 1), "x": VolumeSpec("x", 1)},
    )
    assert spec.users_of() == {"v": ("a", "b"), "w": ("a",), "x": ()}


def test_spec_error_text_and_spec_errors_order() -> None:
    late = SpecError(file="f.pipe", line=3, column=2, key="k", message="m", allowed="a")
    early = SpecError(file="f.pipe", line=1, message="first")
    assert str(late) == "f.pipe:3:2: k: m (a)"
    assert str(SpecError(message="no place")) == "<spec>: no place"
    errors = SpecErrors([late, early])
    assert errors.errors == (early, late)
    assert str(errors) == "f.pipe:1: first\nf.pipe:3:2: k: m (a)"
    assert pickle.loads(pickle.dumps(errors)).errors == errors.errors
