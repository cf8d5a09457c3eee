"""The apply's poll interval: at most a tenth of the deploy time seen, within bounds."""

from __future__ import annotations

from powerbridge.deploy.apply import Ticker


def test_before_any_deploy_ends_the_tick_grows_with_the_time_waited() -> None:
    ticker = Ticker(shortest=0.1, longest=10.0)
    ticker.start(100.0)
    assert ticker.interval(100.0) == 0.1
    assert ticker.interval(130.0) == 3.0
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
