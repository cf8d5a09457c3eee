"""How often waits look again: a twentieth of the time waited, between a floor and a ceiling."""

from __future__ import annotations

import pytest

from powerbridge.ha.pacing import pause


@pytest.mark.parametrize(
    ("waited", "expected"),
    [(0.0, 0.25), (1.0, 0.25), (10.0, 0.5), (30.0, 1.5), (300.0, 2.0)],
)
def test_a_pause_is_a_twentieth_of_the_wait_within_its_bounds(
    waited: float, expected: float
) -> None:
    assert pause(waited, 0.25, 2.0) == pytest.approx(expected)
