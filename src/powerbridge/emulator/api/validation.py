"""Request-body validation with JSON Schema, reported in nova's and cinder's wording:
`Invalid input for field/attribute <field>. Value: <value>. <reason>`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.errors import bad_request


class Schema:
    """A compiled JSON Schema (Draft 4, as nova uses) for one request body."""

    def __init__(self, name: str, schema: dict[str, Any]) -> None:
        self.name = name
        self.schema = schema
        self._validator: Any = None

    def check(self, body: Any) -> None:
        """Raise a 400 naming the first offending field if `body` does not match."""
        if self._validator is None:
            import jsonschema  # imported on first use: the emulator starts faster

            self._validator = jsonschema.Draft4Validator(self.schema)
        errors = sorted(self._validator.iter_errors(body), key=lambda e: list(e.path))
        if not errors:
            return
        error = errors[0]
        field = "/".join(str(p) for p in error.path) or self.name
        if error.validator in ("additionalProperties", "required"):
            raise bad_request(f"Invalid input for field/attribute {field}. {error.message}")
        raise bad_request(
            f"Invalid input for field/attribute {field}. Value: {_show(error.instance)}. "
            f"{error.message}"
        )


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
