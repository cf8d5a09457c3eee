"""Errors of the deploy package: a spec that cannot be read says where, what and what is allowed.

```
DeployError            everything deploy raises on purpose
└── SpecErrors         a spec file could not be read: every SpecError found in it
```

A `SpecError` is a record, not an exception: a parser collects all of them for one file and
raises one `SpecErrors`. `str(spec_error)` is one line in the compiler style editors and CI
annotate, `file:line:column: key: message (allowed)`, for example::

    two-vms.pipe:2:94: lun_spec: size 'x' is not a whole number of GB \
(format count:size_gb:storage_template:name_prefix:shared:description)

What keeps a valid spec from being deployed (an unknown template, too little memory) is not an
error here: the planner reports it as a block of the plan (`powerbridge.deploy.plan_model.Block`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DeployError", "SpecError", "SpecErrors"]


class DeployError(Exception):
    """Base of what the deploy package raises on purpose."""


@dataclass(frozen=True, kw_only=True)
class SpecError:
    """One problem in a spec: where (file, line, column; 1-based), the key, what, what is allowed.

    `key` is the pipe format's key (`lun_spec`) or the YAML path (`servers[2].powervm.max_mem`);
    `allowed` says what would be accepted (a list of keys or values, or the field's format).
    """

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    key: str | None = None
    allowed: str | None = None

    @property
    def location(self) -> str:
        """`file:line:column`, leaving out what is unknown (`<spec>` stands for no file)."""
        parts = [self.file or "<spec>"]
        parts += [str(number) for number in (self.line, self.column) if number is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: "
        if self.key:
            text += f"{self.key}: "
        text += self.message
        if self.allowed:
            text += f" ({self.allowed})"
        return text


class SpecErrors(DeployError):
    """A spec could not be read. `errors` holds every problem found, ordered by position."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = tuple(sorted(errors, key=_position))
        super().__init__("\n".join(str(error) for error in self.errors))

    def __reduce__(self) -> tuple[type[SpecErrors], tuple[tuple[SpecError, ...]]]:
        return SpecErrors, (self.errors,)


def _position(error: SpecError) -> tuple[str, int, int]:
    return error.file or "", error.line or 0, error.column or 0
