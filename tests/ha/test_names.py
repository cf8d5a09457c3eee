"""The name rules at their edges: the longest valid names, the first invalid ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from powerbridge.ha import names


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (names.powerha_name_problem, ["a", "A_1", "c" * 64], ["", "_a", "1a", "a-b", "c" * 65]),
        (names.host_name_problem, ["a", "a-1", "n" * 63], ["", "-a", "a-", "1a", "a_b", "n" * 64]),
        (names.lvm_name_problem, ["a", "data_lv1", "l" * 15], ["", "1lv", "a-b", "l" * 16]),
        (names.script_path_problem, ["/a", "/opt/app/start.sh"], ["a", "/a b", "/a/"]),
        (names.mount_point_problem, ["/data", "/db2/data"], ["/", "/usr", "data", "/d/"]),
        (names.volume_group_problem, ["datavg"], ["rootvg", "caavg_private", "v" * 16]),
    ],
)
def test_valid_and_invalid_names(
    check: Callable[[str], str | None], valid: list[str], invalid: list[str]
) -> None:
    assert [name for name in valid if check(name) is not None] == []
    assert [name for name in invalid if check(name) is None] == []


def test_a_host_name_with_capitals_says_what_powervc_makes_of_it() -> None:
    assert names.host_name_problem("HaNode1") == (
        "'HaNode1' has capitals: PowerVC makes the host name 'hanode1'"
    )
