"""The injected clock that drives every resource lifecycle.

- `instant`: durations are zero, so every read (list calls included) sees final states.
- `real`: wall-clock time, durations divided by `speed` (2.0 runs twice as fast).
- `manual`: time moves only when `advance()` is called (tests, `POST .../emulator/v1/clock`).

All times are POSIX seconds as floats.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

ClockMode = Literal["instant", "real", "manual"]


@dataclass
class Clock:
    mode: ClockMode = "instant"
    speed: float = 1.0
    offset: float = 0.0  # manual mode: seconds advanced by hand since `base`
    base: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError("clock speed must be positive")

    def now(self) -> float:
        if self.mode == "manual":
            return self.base + self.offset
        return time.time()

    def duration(self, seconds: float) -> float:
        """How long `seconds` of emulated work takes on this clock."""
        if self.mode == "instant":
            return 0.0
        if self.mode == "real":
            return seconds / self.speed
        return seconds

    def advance(self, seconds: float) -> float:
        if self.mode != "manual":
            raise ValueError(f"the {self.mode} clock cannot be advanced; start with --clock manual")
        if not math.isfinite(seconds):  # NaN passes `< 0` and would poison every timestamp
            raise ValueError(f"the clock advances by a finite number of seconds, not {seconds}")
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        self.offset += seconds
        return self.now()
