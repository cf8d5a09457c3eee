"""Sign-in rate limits: failed attempts counted per user and per client address, in the store.

A password PowerVC refuses counts one failure against the user name (in its domain) and
one against the address it came from; an `X-Auth-Token` Keystone refuses counts against the
address. Past `per_user` failures of a user, or `per_address` of an address, within
`window_seconds` of the first one counted, sign-ins (and header tokens from that address)
are refused with 429 until the window ends, without asking Keystone: guessing is slowed to
a few tries an hour, and PowerVC's own lockout is not triggered by someone else's guesses.
A successful sign-in clears the user's count (not the address's). The rows are shared by
every portal worker on the store, so the limit holds whichever worker is asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import portal_signin_attempts

__all__ = ["SigninLimits", "Throttle", "TooManyAttempts", "address_key", "user_key"]

_table = portal_signin_attempts


@dataclass(frozen=True)
class SigninLimits:
    per_user: int = 5
    per_address: int = 20
    window_seconds: float = 900.0


class TooManyAttempts(Exception):
    """Refused until `until`; the message says whose attempts and when to retry."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until

    @property
    def retry_after(self) -> int:
        """Whole seconds from now (the Retry-After header)."""
        return max(1, int((self.until - datetime.now(UTC)).total_seconds()) + 1)


def user_key(domain: str, user: str) -> str:
    return f"user:{domain.lower()}/{user.lower()}"[:300]


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"[:300]


class Throttle:
    def __init__(self, store: JobStore, limits: SigninLimits) -> None:
        self.engine = store.engine
        self.limits = limits

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.limits.window_seconds)

    def check(self, keys: Iterable[str]) -> None:
        """TooManyAttempts when any key is over its limit in its current window."""
        wanted = list(keys)
        now = datetime.now(UTC)
        with self.engine.connect() as db:
            rows = db.execute(sa.select(_table).where(_table.c.key.in_(wanted))).all()
        for row in rows:
            until = row.window_start + self.window
            if row.failures >= self._limit(row.key) and until > now:
                raise TooManyAttempts(self._message(row.key, row.failures, until), until)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failure against each key (a new window when the last one ended)."""
        now = datetime.now(UTC)
        with self.engine.begin() as db:
            for key in keys:
                self._count(db, key, now)

    def succeeded(self, key: str) -> None:
        with self.engine.begin() as db:
            db.execute(_table.delete().where(_table.c.key == key))

    def _count(self, db: sa.Connection, key: str, now: datetime) -> None:
        mine = _table.c.key == key
        renew = _table.update().where(mine & (_table.c.window_start <= now - self.window))
        if db.execute(renew.values(failures=1, window_start=now)).rowcount:
            return
        bump = _table.update().where(mine).values(failures=_table.c.failures + 1)
        if db.execute(bump).rowcount:
            return
        try:
            with db.begin_nested():
                db.execute(_table.insert().values(key=key, failures=1, window_start=now))
        except IntegrityError:  # another worker counted its first failure at the same moment
            db.execute(bump)

    def _limit(self, key: str) -> int:
        return self.limits.per_user if key.startswith("user:") else self.limits.per_address

    def _message(self, key: str, failures: int, until: datetime) -> str:
        kind, _, who = key.partition(":")
        whose = f"user {who}" if kind == "user" else f"address {who}"
        minutes = max(1, round((until - datetime.now(UTC)).total_seconds() / 60))
        return (
            f"too many failed sign-ins for {whose} ({failures} in"
            f" {round(self.limits.window_seconds / 60)} minutes): try again after"
            f" {until.strftime('%H:%M:%S')} UTC (in about {minutes} minute"
            f"{'s' if minutes != 1 else ''})"
        )
