"""How long to wait before looking again at something that takes as long as it takes.

A fixed or doubling pause overshoots by up to a whole pause: 2 s after a 3 s boot is 60 %
more, after a 5-minute boot under 1 %. A twentieth of the time waited so far, kept between
a floor and a ceiling, notices the change within about 5 % of the wait however long it is,
and never looks more often than the floor allows (the deployer's ticks follow the same rule).
"""

from __future__ import annotations

__all__ = ["pause"]

SHARE_OF_WAIT = 1 / 20


def pause(waited: float, shortest: float, longest: float) -> float:
    """Seconds until the next look, after `waited` seconds of looking."""
    return min(longest, max(shortest, waited * SHARE_OF_WAIT))
