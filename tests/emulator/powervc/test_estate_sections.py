"""The estate's onboarding and utilization sections: a mistake stops the start-up with the
file, the entry and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.emulator.estate import EstateError, load_estate

HOSTS = """
hosts:
  - {name: 8286-42A_215A0BV, memory_mb: 65536, processors: 8}
storage_providers:
  - {name: xiv90, type: XIV, capacity_gb: 1000, pools: [p1]}
"""


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("unmanaged_lpars: [{name: a, host: nope}]", "unmanaged_lpars[0] (a): host: unknown host"),
        (
            "unmanaged_lpars: [{name: a, host: 8286-42A_215A0BV, volumes: [v9]}]",
            "volumes: unknown unmanaged volume 'v9'",
        ),
        (
            "unmanaged_lpars: [{name: a, host: 8286-42A_215A0BV, state: paused}]",
            "state must be one of active, shutoff",
        ),
        ("unmanaged_volumes: [{name: v, provider: svc}]", "unknown storage provider 'svc'"),
        (
            "unmanaged_volumes: [{name: v, provider: xiv90}]\n"
            "unmanaged_lpars:\n"
            "  - {name: a, host: 8286-42A_215A0BV, volumes: [v]}\n"
            "  - {name: b, host: 8286-42A_215A0BV, volumes: [v]}",
            "'v' already belongs to LPAR 'a'",
        ),
        ("utilization: [{name_regex: '(', cpu: 0.5}]", "name_regex is not a regular expression"),
        ("utilization: [{name_regex: db, cpu: 1.5}]", "cpu must be a fraction from 0 to 1"),
    ],
)
def test_a_bad_entry_is_named(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(HOSTS + section + "\n")
    with pytest.raises(EstateError) as problem:
        load_estate(path)
    assert message in str(problem.value)
    assert str(path) in str(problem.value)


def test_a_good_estate_loads(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    extra = (
        "unmanaged_volumes: [{name: v, provider: xiv90, size_gb: 5, bootable: true}]\n"
        "unmanaged_lpars: [{name: a, host: 8286-42A_215A0BV, proc_units: 2, volumes: [v]}]\n"
        "utilization: [{name_regex: '^a', memory: 0.3}]\n"
    )
    path.write_text(HOSTS + extra)
    estate = load_estate(path)
    assert estate.unmanaged_lpars[0].proc_units == 2.0
    assert estate.utilization[0].cpu == 1.0
