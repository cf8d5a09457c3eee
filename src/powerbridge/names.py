"""The closest known name to a mistyped one: one rule for the SDK, the CLI and the planner."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """A name differing only in case, else the most similar one (difflib, `cutoff`), else None."""
    names = list(known)
    folded = [candidate for candidate in names if candidate.casefold() == name.casefold()]
    if folded:
        return folded[0]
    import difflib  # only on the error path: kept out of start-up

    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    return close[0] if close else None
