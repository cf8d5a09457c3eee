"""Command groups loaded when used, so `powerbridge --help` does not build them all.

Typer builds every command of every registered group (each with its two dozen options)
before it parses anything. A group registered through `lazy_group` is an empty typer group
whose class imports the real one (a module's `typer.Typer`) and builds it only when one of
its commands is looked up: `powerbridge server list` builds the server commands alone, and
the top-level help shows each group's one-line help without importing it.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup


# -- options without pydantic ------------------------------------------------------------------
class _Plain:
    """typer's coercion of a plain option, without a pydantic TypeAdapter.

    typer builds a pydantic TypeAdapter for every parameter of a command it runs, importing
    pydantic (60-90 ms) even for a string. Options whose value the parser already gives as
    text, and that carry no min/max, need no more than a conversion: `fast` hands them this
    instead, so a list command starts without pydantic. Should typer stop consulting
    `_runtime_param`, its own coercion runs again and only the time is lost."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self.convert = convert

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if (param.multiple or param.nargs == -1) else None
        if isinstance(value, list | tuple):
            return tuple(self._one(item) for item in value)
        return self._one(value)

    def _one(self, value: Any) -> Any:
        try:
            return self.convert(value)
        except ValueError as problem:
            raise typer.BadParameter(str(problem)) from None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y", "on"):
        return True
    if text in ("0", "false", "f", "no", "n", "off", ""):
        return False
    raise ValueError(f"{value!r} is not a valid boolean")


def _number(kind: type[int] | type[float]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            return value
        try:
            return kind(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a valid {kind.__name__}") from None

    return convert


def _choice(kind: type[enum.Enum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        try:
            return kind(str(value))
        except ValueError:
            choices = ", ".join(str(member.value) for member in kind)
            raise ValueError(f"{value!r} is not one of {choices}") from None

    return convert


CONVERTERS: dict[Any, Callable[[Any], Any]] = {
    str: str,
    list[str]: str,
    bool: _flag,
    int: _number(int),
    float: _number(float),
    Path: Path,
}


def fast(params: Iterable[Any]) -> None:
    """Give plain typer parameters (str, int, float, bool, Path, enums; no min/max) a
    conversion that needs no pydantic."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        info = getattr(descriptor, "parameter_info", None)
        if descriptor is None or getattr(info, "min", None) is not None:
            continue
        if getattr(info, "max", None) is not None or getattr(info, "parser", None) is not None:
            continue
        annotation = descriptor.annotation
        if annotation is Path and (
            getattr(info, "exists", None) or getattr(info, "resolve_path", None)
        ):
            continue  # typer checks those paths
        convert = CONVERTERS.get(annotation)
        if convert is None and isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            convert = _choice(annotation)
        if convert is not None:
            param._runtime_param = _Plain(convert)


def fast_help(option: Any) -> Any:
    """The --help option (made when asked for) without pydantic too."""
    if option is not None:
        fast([option])
    return option


class FastGroup(TyperGroup):
    """The root group: its own options (--verbose, --debug, --help) skip pydantic too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fast(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        return fast_help(super().get_help_option(ctx))


# -- lazy groups and commands -----------------------------------------------------------------
class LazyGroup(TyperGroup):
    """A group whose commands come from `target` (`module:attribute`, a typer.Typer)."""

    target: ClassVar[str] = ""
    _loaded: Any = None

    def _real(self) -> Any:
        if self._loaded is None:
            module, _, attribute = self.target.partition(":")
            sub_app = getattr(importlib.import_module(module), attribute)
            self._loaded = typer.main.get_command(sub_app)
        return self._loaded

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self._real().list_commands(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return fast_help(super().get_help_option(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self._real().get_command(ctx, cmd_name)


def lazy_group(target: str, help: str) -> typer.Typer:
    """A typer app for `add_typer` whose commands are `target`'s (`module:attribute`)."""
    name = target.replace(".", "_").replace(":", "_")
    group_class = type(f"Lazy_{name}", (LazyGroup,), {"target": target})
    return typer.Typer(cls=group_class, help=help, no_args_is_help=True, rich_markup_mode=None)


class LazyCommand(TyperCommand):
    """A command whose options and code come from `target` (`module:function`)."""

    target: ClassVar[str] = ""
    _loaded: Any = None

    def _real(self) -> Any:
        if self._loaded is None:
            module, _, attribute = self.target.partition(":")
            function = getattr(importlib.import_module(module), attribute)
            single = typer.Typer(rich_markup_mode=None, add_completion=False)
            command_class = getattr(function, "command_class", TyperCommand)
            single.command(self.name or attribute, help=self.help, cls=command_class)(function)
            self._loaded = typer.main.get_command(single)
        return self._loaded

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        return self._real().invoke(ctx)


def lazy_command(app: typer.Typer, name: str, target: str, help: str) -> None:
    """Register `target` (`module:function`) as command `name` of `app`, imported when run."""
    command_class = type(f"Lazy_{name}", (LazyCommand,), {"target": target})

    def command() -> None:  # stands in until the command runs: _real() replaces it
        raise NotImplementedError(target)

    app.command(name, cls=command_class, help=help)(command)


EMULATOR_HELP = (
    "Run the embedded PowerVC emulator: a local PowerVC for demos, tests and development."
)

# name, where its typer app is, and its one-line help (shown without importing it)
GROUPS = (
    ("image", "powerbridge.cli.inventory:image_app", "Images VMs deploy from."),
    (
        "template",
        "powerbridge.cli.inventory:template_app",
        "Compute templates (flavors) and the PowerVM partition profile each gives.",
    ),
    ("network", "powerbridge.cli.inventory:network_app", "Networks (VLANs) and their subnets."),
    (
        "storage-template",
        "powerbridge.cli.inventory:storage_template_app",
        "Storage templates (volume types): where and how volumes are created.",
    ),
    (
        "scg",
        "powerbridge.cli.inventory:scg_app",
        "Storage connectivity groups: which hosts and VIOS reach storage, and how.",
    ),
    (
        "host",
        "powerbridge.cli.inventory:host_app",
        "Managed hosts and their usage (memory, processing units, VMs).",
    ),
    (
        "host-group",
        "powerbridge.cli.inventory:host_group_app",
        "Host groups: availability zone, placement policy, hosts.",
    ),
    (
        "server",
        "powerbridge.cli.server:app",
        "Virtual machines: list, show, create, delete, rename, start, stop.",
    ),
    (
        "volume",
        "powerbridge.cli.volume:app",
        "Volumes: list, show, create, delete, attach, detach.",
    ),
    (
        "deploy",
        "powerbridge.cli.deploy:app",
        "Batch deployments from a spec file: plan, apply, list, show, destroy.",
    ),
    (
        "ha",
        "powerbridge.cli.ha:app",
        "PowerHA SystemMirror clusters: plan, create, show, fail over, delete.",
    ),
)


DIAGNOSE_HELP = "Find why a deploy or an action failed: fault, instance actions, log lines, cause."
PORTAL_HELP = "Serve the web portal: self-service PowerHA clusters (API under /api/v1)."


def groups() -> list[tuple[str, typer.Typer]]:
    """The command groups to register, by name."""
    return [(name, lazy_group(target, help)) for name, target, help in GROUPS]
