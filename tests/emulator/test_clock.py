"""The injected clock: instant, scaled real time and manual ticks."""

from __future__ import annotations

import math

import pytest

from powerbridge.emulator.clock import Clock


class TestClock:
    def test_instant_clock(self) -> None:
        clock = Clock("instant")
        assert clock.duration(300) == 0.0
        with pytest.raises(ValueError, match="cannot be advanced"):
            clock.advance(1)

    def test_real_clock_scales_durations(self) -> None:
        clock = Clock("real", speed=4.0)
        assert clock.duration(10) == 2.5
        assert abs(clock.now() - Clock("instant").now()) < 5
        with pytest.raises(ValueError, match="cannot be advanced"):
            clock.advance(1)

    def test_manual_clock_moves_only_when_advanced(self) -> None:
        clock = Clock("manual", base=1000.0)
        assert clock.now() == 1000.0
        assert clock.duration(7) == 7
        assert clock.advance(2.5) == 1002.5
        assert clock.now() == 1002.5
        assert clock.offset == 2.5

    def test_manual_clock_cannot_go_backwards(self) -> None:
        clock = Clock("manual", base=0.0)
        with pytest.raises(ValueError, match="backwards"):
            clock.advance(-1)
        assert clock.now() == 0.0

    @pytest.mark.parametrize("speed", [0.0, -1.0])
    def test_speed_must_be_positive(self, speed: float) -> None:
        with pytest.raises(ValueError, match="positive"):
            Clock("real", speed=speed)

    @pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf])
    def test_manual_clock_rejects_non_finite_steps(self, seconds: float) -> None:
        clock = Clock("manual", base=0.0)
        with pytest.raises(ValueError, match=r"(?i)finite|nan|inf"):
            clock.advance(seconds)
        assert clock.now() == 0.0
