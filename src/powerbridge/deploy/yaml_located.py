"""YAML read with positions, and JSON Schema errors mapped back to the lines they are about.

Both YAML specs (the deployment spec, `deploy.yaml_format`, and the cluster spec, `ha.spec`)
read a file the same way, each step collecting every error before raising `SpecErrors`:

1. `load_located(text, source)`: the document's node tree and its data, built from the same
   nodes; YAML syntax errors located, and duplicate keys (which YAML loaders drop silently)
   and recursive aliases reported at the key that repeats.
2. `LocatedSchema(schema).errors(data, locator)`: the schema's errors as `SpecError`s at the
   line and column of the value (or key) each is about, with what is allowed (the failing
   subschema's `description`) and a did-you-mean for an unknown key.
3. The format's own rules, reported through `Locator.error(path, message, allowed)`.

A path is a JSON path as a tuple (`("servers", 2, "name")`), shown as `servers[2].name`.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, TypeAlias

import jsonschema
import yaml

from powerbridge.deploy.errors import SpecError, SpecErrors

__all__ = [
    "LocatedSchema",
    "Locator",
    "Path",
    "describe",
    "did_you_mean",
    "load_located",
    "path_text",
    "read_schema",
]

Path: TypeAlias = tuple[str | int, ...]

_LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_TYPE_WORDS: Final = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


# --- YAML with node positions ---------------------------------------------------------------


def load_located(text: str, source: str | None) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (positions) and its data; `SpecErrors` when unreadable."""
    surrogate = _LONE_SURROGATE.search(text)
    if surrogate:  # text from a lenient decoder or a JSON escape: the YAML reader would crash
        raise SpecErrors([_not_unicode(text, surrogate.start(), source)])
    loader = _LOADER(text)
    try:
        root: yaml.Node | None = loader.get_single_node()
        if root is None:
            return None, None
        # Before constructing: merge keys (<<) are flattened into their mappings in place.
        problems = list(_mapping_problems(root, source, set()))
        if problems:
            raise SpecErrors(problems)
        return root, _constructed(loader, root, source)
    except yaml.MarkedYAMLError as error:
        raise SpecErrors([_yaml_error(error, source)]) from None
    except yaml.reader.ReaderError as error:  # a character YAML refuses: it has no mark
        raise SpecErrors([_reader_error(error, text, source)]) from None
    except yaml.YAMLError as error:
        raise SpecErrors([SpecError(file=source, message=f"invalid YAML: {error}")]) from None
    except RecursionError:  # nesting deeper than the loader can follow
        message = "invalid YAML: nested too deeply"
        raise SpecErrors([SpecError(file=source, message=message)]) from None
    finally:
        loader.dispose()


def _yaml_error(error: yaml.MarkedYAMLError, source: str | None) -> SpecError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "unreadable"
    if error.context and error.problem:
        problem = f"{problem} ({error.context})"
    return SpecError(
        file=source,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        message=f"invalid YAML: {problem}",
    )


def _constructed(loader: Any, root: yaml.Node, source: str | None) -> Any:
    """The document's data. PyYAML's constructors crash on some tagged scalars (an empty
    `!!timestamp` raises AttributeError): that is a value YAML cannot read, at its tag."""
    try:
        return loader.construct_document(root)
    except (AttributeError, TypeError, ValueError, OverflowError):
        node = _first_retagged(loader, root) or root
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        problem = SpecError(
            file=source,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
            message=f"invalid YAML: {node.value!r} cannot be read as {tag}"
            if isinstance(node, yaml.ScalarNode)
            else f"invalid YAML: a {tag} value that cannot be read",
            allowed="a plain value, without the !! tag",
        )
        raise SpecErrors([problem]) from None


def _first_retagged(loader: Any, root: yaml.Node) -> yaml.Node | None:
    """The first scalar (in document order) whose tag is not the one YAML would give it."""
    pending = [root]
    while pending:
        node = pending.pop(0)
        if isinstance(node, yaml.ScalarNode):
            if loader.resolve(yaml.ScalarNode, node.value, (True, False)) != node.tag:
                return node
        elif isinstance(node, yaml.MappingNode):
            pending[:0] = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            pending[:0] = list(node.value)
    return None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _not_unicode(text: str, position: int, source: str | None) -> SpecError:
    line, column = _line_column(text, position)
    return SpecError(
        file=source,
        line=line,
        column=column,
        message=f"invalid YAML: {text[position]!r} is not a character (the text is not UTF-8)",
        allowed="save the file as UTF-8",
    )


def _reader_error(error: yaml.reader.ReaderError, text: str, source: str | None) -> SpecError:
    """The character's line and column (the reader knows only its offset), on one line."""
    line, column = _line_column(text, error.position)
    character = error.character
    code = f"#x{character:04x}" if isinstance(character, int) else repr(character)
    return SpecError(
        file=source,
        line=line,
        column=column,
        message=f"invalid YAML: unacceptable character {code}: {error.reason}",
        allowed="printable characters, tab and newline; write others as escapes in quotes",
    )


def _mapping_problems(node: yaml.Node, source: str | None, stack: set[int]) -> Iterator[SpecError]:
    """Duplicate keys (YAML keeps the last silently) and recursive aliases, with positions."""
    if id(node) in stack:
        yield _at(node, source, None, "a recursive alias is not allowed")
        return
    stack.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, yaml.Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                first = seen.setdefault(key.value, key)
                if first is not key:
                    line = first.start_mark.line + 1
                    yield _at(key, source, key.value, f"key given twice (first on line {line})")
            yield from _mapping_problems(value, source, stack)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _mapping_problems(item, source, stack)
    stack.discard(id(node))


def _at(
    node: yaml.Node, source: str | None, key: str | None, message: str, allowed: str | None = None
) -> SpecError:
    return SpecError(
        file=source,
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
        key=key,
        message=message,
        allowed=allowed,
    )


@dataclass(frozen=True)
class Locator:
    """Finds the YAML node of a JSON path, to place an error at its line and column."""

    root: yaml.Node | None
    source: str | None

    def node(self, path: Path) -> yaml.Node | None:
        node = self.root
        for part in path:
            child = _child(node, part)
            if child is None:
                return node  # the deepest node that exists: where the missing part belongs
            node = child
        return node

    def key_node(self, path: Path, key: str) -> yaml.Node | None:
        node = self.node(path)
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return key_node
        return node

    def line(self, path: Path) -> int | None:
        """The line (1-based) of the value at `path`, or of the nearest enclosing one."""
        node = self.node(path)
        return node.start_mark.line + 1 if node is not None else None

    def error(
        self,
        path: Path,
        message: str,
        allowed: str | None = None,
        *,
        key: str | None = None,
        node: yaml.Node | None = None,
    ) -> SpecError:
        """An error about the value at `path` (or, with `key`, about that key of the mapping)."""
        if node is None:
            node = self.key_node(path, key) if key is not None else self.node(path)
        shown = path_text((*path, key) if key is not None else path)
        if node is None:
            return SpecError(file=self.source, key=shown, message=message, allowed=allowed)
        return _at(node, self.source, shown, message, allowed)


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                child: yaml.Node = value
                return child
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None


def path_text(path: Sequence[str | int]) -> str | None:
    """`("servers", 2, "name")` as `servers[2].name` (None for the document itself)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or None


def did_you_mean(word: str, known: Sequence[str]) -> str:
    """`; did you mean 'x'?` for the closest known word, or nothing."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(instance: object) -> str:
    """A value as a message names it: `the string 'x'`, `the number 3`, `a mapping`."""
    if instance is None:
        return "nothing"
    if isinstance(instance, bool):
        return f"the boolean {str(instance).lower()}"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, int | float):
        return f"the number {instance}"
    if isinstance(instance, str):
        return f"the string '{instance}'"
    return f"a {type(instance).__name__} ({instance})"


# --- JSON Schema errors -> spec errors --------------------------------------------------------


def read_schema(package: str, name: str = "schema.json") -> dict[str, Any]:
    """A JSON Schema shipped as package data."""
    schema: dict[str, Any] = json.loads(resources.files(package).joinpath(name).read_text("utf-8"))
    return schema


class LocatedSchema:
    """A JSON Schema whose errors come out as located `SpecError`s."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema: dict[str, Any] = copy.deepcopy(dict(schema))
        self._validator: Any = jsonschema.Draft202012Validator(inline_refs(self.schema))

    def errors(self, data: Any, locator: Locator) -> list[SpecError]:
        """Every schema error of `data`, each at its line with what is allowed."""
        return [
            spec_error
            for error in self._validator.iter_errors(data)
            for spec_error in self._from_schema(error, locator)
        ]

    def _from_schema(self, error: Any, locator: Locator) -> list[SpecError]:
        path: Path = tuple(error.absolute_path)
        validator = error.validator
        allowed = error.schema.get("description") if isinstance(error.schema, dict) else None
        if "propertyNames" in error.relative_schema_path:
            return [_bad_key(error, path, locator)]
        if validator in ("additionalProperties", "unevaluatedProperties"):
            return self._unknown_keys(error, path, locator)
        if validator == "required":
            return [
                locator.error(path, "missing required key", key=key)
                for key in error.validator_value
                if isinstance(error.instance, dict) and key not in error.instance
            ]
        if validator in ("anyOf", "oneOf"):
            return self._alternatives(error, path, locator, allowed)
        return [locator.error(path, _message(error), allowed)]

    def _unknown_keys(self, error: Any, path: Path, locator: Locator) -> list[SpecError]:
        known = sorted(self._declared_keys(error.schema))
        hint = "allowed keys: " + ", ".join(known)
        return [
            locator.error(
                path, f"unknown key '{shown}'" + did_you_mean(shown, known), hint, key=shown
            )
            for key in error.instance
            if key not in known
            for shown in [printable(str(key))]
        ]

    def _declared_keys(self, schema: Mapping[str, Any]) -> set[str]:
        keys = set(schema.get("properties", {}))
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            keys |= self._declared_keys(self.schema["$defs"][reference.removeprefix("#/$defs/")])
        for part in schema.get("allOf", ()):  # where `inline_refs` kept a definition apart
            keys |= self._declared_keys(part)
        return keys

    def _alternatives(
        self, error: Any, path: Path, locator: Locator, allowed: str | None
    ) -> list[SpecError]:
        # A branch whose type does not fit the value is not what the author meant: report the
        # rest.
        relevant = [
            sub
            for sub in error.context
            if not (sub.validator == "type" and tuple(sub.absolute_path) == path)
        ]
        if relevant:
            return [spec for sub in relevant for spec in self._from_schema(sub, locator)]
        return [locator.error(path, f"expected {allowed}, got {describe(error.instance)}")]


def inline_refs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with each local `$ref` replaced by its definition (merged with the keys
    beside it): the same validation without resolving a reference per value, which was two
    thirds of parsing a 1,000-server spec. The schema has no recursive definitions."""
    definitions = schema.get("$defs", {})

    def inline(node: Any, depth: int = 0) -> Any:
        if depth > 32:
            raise ValueError("schema.json: $ref nesting too deep (a recursive definition?)")
        if isinstance(node, list):
            return [inline(item, depth) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        rest = {key: inline(value, depth) for key, value in node.items() if key != "$ref"}
        if not (isinstance(reference, str) and reference.startswith("#/$defs/")):
            return rest if reference is None else {**rest, "$ref": reference}
        target = inline(definitions[reference.removeprefix("#/$defs/")], depth + 1)
        if set(target) & set(rest):
            return {**rest, "allOf": [target]}
        return {**target, **rest}

    inlined: dict[str, Any] = inline({k: v for k, v in schema.items() if k != "$defs"})
    return inlined


def _message(error: Any) -> str:
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "type":
        expected = [value] if isinstance(value, str) else list(value)
        words = [_TYPE_WORDS.get(kind, kind) for kind in expected]
        words = [", ".join(words[:-1]), words[-1]] if len(words) > 1 else words
        return f"expected {' or '.join(words)}, got {describe(instance)}"
    if validator == "enum":
        # An enum listing each word in two cases (OHN, ohn) names each word once.
        choices: dict[str, str] = {}
        for choice in value:
            choices.setdefault(str(choice).casefold(), str(choice))
        return f"'{instance}' is not allowed: one of {', '.join(choices.values())}"
    if validator == "minimum":
        return f"{instance} is below the minimum {value}"
    if validator == "maximum":
        return f"{instance} is above the maximum {value}"
    if validator == "exclusiveMinimum":
        return f"{instance} is not more than {value}"
    if validator in ("minLength", "minItems") and value == 1:
        return "must not be empty"
    if validator == "maxLength":
        return f"longer than {value} characters"
    if validator == "minItems":
        return f"{len(instance)} given, at least {value} needed"
    if validator == "maxItems":
        return f"{len(instance)} given, at most {value} allowed"
    return str(error.message)


def printable(text: str) -> str:
    """`text` as an error line may show it: control characters and line breaks escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _bad_key(error: Any, path: Path, locator: Locator) -> SpecError:
    key = printable(str(error.instance))
    node = locator.key_node(path, key)
    allowed = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "pattern":
        message = f"unknown key '{key}'" + did_you_mean(key, re.findall(r"[a-z_]+", allowed or ""))
    elif error.validator == "type":
        message = f"key {key!r} is not a string"
    else:
        message = f"key '{key}': {_message(error)}"
    return locator.error(path, message, allowed, key=key, node=node)
