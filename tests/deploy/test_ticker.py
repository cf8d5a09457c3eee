"""The apply's poll interval: at most a tenth of the deploy time seen, within bounds."""

from __future__ import annotations

import pytest

from powerbridge.deploy.apply import Ticker, _ended_within


def test_before_any_deploy_ends_the_tick_grows_with_the_time_waited() -> None:
    ticker = Ticker(shortest=0.1, longest=10.0)
    ticker.start(100.0)
    assert ticker.interval(100.0) == 0.1
    assert ticker.interval(130.0) == 1.5
    assert ticker.interval(1000.0) == 10.0


def test_once_deploys_end_the_tick_is_a_tenth_of_their_median() -> None:
    ticker = Ticker(shortest=0.1, longest=10.0)
    ticker.start(0.0)
    for seconds in (2.0, 4.0, 40.0):
        ticker.seen(seconds)
    assert ticker.interval(500.0) == 0.4


def test_a_fixed_interval_wins() -> None:
    ticker = Ticker(2.5)
    ticker.start(0.0)
    ticker.seen(100.0)
    assert ticker.interval(10.0) == 2.5


def test_the_next_look_comes_when_the_next_deploy_is_due() -> None:
    ticker = Ticker(shortest=0.01, longest=10.0)
    ticker.start(0.0)
    ticker.seen(2.0)  # a tick is 0.2 s
    # started at 1.0 and 1.05: the first is due at 3.0, 0.07 s from now
    assert ticker.interval(2.93, [1.0, 1.05]) == pytest.approx(0.07)
    # nothing due within a tick: a whole tick
    assert ticker.interval(2.0, [1.5]) == pytest.approx(0.2)


def test_while_a_deploy_has_just_come_due_looks_come_four_times_as_often() -> None:
    ticker = Ticker(shortest=0.01, longest=10.0)
    ticker.start(0.0)
    ticker.seen(2.0)
    assert ticker.interval(3.1, [1.0]) == pytest.approx(0.05)  # due 0.1 s ago
    # late by more than a tick: merely late, back to whole ticks
    assert ticker.interval(3.5, [1.0]) == pytest.approx(0.2)


def test_a_deploy_takes_the_midpoint_between_the_last_two_looks() -> None:
    # last seen building at 12.0, seen done at 12.2: it ended at 12.1 as well as we know
    assert _ended_within(10.0, 12.0, 12.2) == pytest.approx(2.1)
    # never seen building: between its start and now
    assert _ended_within(10.0, None, 11.0) == pytest.approx(0.5)
