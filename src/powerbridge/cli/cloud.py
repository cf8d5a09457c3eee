"""Reaching a cloud from a command: the `--os-*` options, the session, errors, tracing.

`@cloud_command` gives a command every `--os-*` option the openstack CLI knows (each one
overrides what `--os-cloud` / `OS_CLOUD` / clouds.yaml or the `OS_*` variables say) and hands
it a `CloudArgs`. `run(cloud, work)` loads the configuration, opens a `Cloud`, awaits
`work(cloud)` and turns every `ClientError` into a `CliError`: one line with the request id,
the hint on a line of its own, no traceback (unless `--debug`).

Only typer and the standard library are imported at module level: the client (httpx, yaml)
is imported when a command runs, so `powerbridge --help` stays fast.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.lazy import fast, fast_help
from powerbridge.cli.output import OutputFormat

if TYPE_CHECKING:
    from powerbridge.client import Cloud, CloudConfig

T = TypeVar("T")
PREFIX = "cloud_"  # the added parameters' names, apart from the command's own

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format: table, json or yaml.")
]


@dataclass(frozen=True)
class CloudArgs:
    """The `--os-*` options of one command; None: not given (the configuration decides)."""

    os_cloud: str | None = None
    os_auth_url: str | None = None
    os_auth_type: str | None = None
    os_username: str | None = None
    os_password: str | None = None
    os_project_name: str | None = None
    os_project_id: str | None = None
    os_user_domain_name: str | None = None
    os_project_domain_name: str | None = None
    os_application_credential_id: str | None = None
    os_application_credential_secret: str | None = None
    os_region_name: str | None = None
    os_interface: str | None = None
    os_cacert: str | None = None
    insecure: bool = False
    timeout: float | None = None

    def overrides(self) -> dict[str, Any]:
        """The settings given on the command line, as `load_config` overrides."""
        settings = {
            f.name.removeprefix("os_"): getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("os_cloud", "insecure") and getattr(self, f.name) is not None
        }
        if "cacert" in settings and self.insecure:
            raise UsageProblem("give --os-cacert or --insecure, not both")
        if self.insecure:
            settings["verify"] = False
        return settings


# (parameter, option, metavar, help); each --os-* option is a str, --insecure a flag
_OPTIONS = (
    ("os_cloud", "--os-cloud", "NAME", "Cloud in clouds.yaml (default: OS_CLOUD)."),
    ("os_auth_url", "--os-auth-url", "URL", "Keystone v3 URL (OS_AUTH_URL)."),
    ("os_auth_type", "--os-auth-type", "TYPE", "password or v3applicationcredential."),
    ("os_username", "--os-username", "NAME", "User name (OS_USERNAME)."),
    ("os_password", "--os-password", "PASSWORD", "Password (OS_PASSWORD)."),
    ("os_project_name", "--os-project-name", "NAME", "Project, e.g. ibm-default."),
    ("os_project_id", "--os-project-id", "ID", "Project id (OS_PROJECT_ID)."),
    ("os_user_domain_name", "--os-user-domain-name", "NAME", "User's domain."),
    ("os_project_domain_name", "--os-project-domain-name", "NAME", "Project's domain."),
    ("os_application_credential_id", "--os-application-credential-id", "ID", "Credential id."),
    (
        "os_application_credential_secret",
        "--os-application-credential-secret",
        "SECRET",
        "Application credential secret.",
    ),
    ("os_region_name", "--os-region-name", "REGION", "Region (OS_REGION_NAME)."),
    ("os_interface", "--os-interface", "INTERFACE", "public, internal or admin."),
    ("os_cacert", "--os-cacert", "FILE", "CA bundle for PowerVC's certificate (OS_CACERT)."),
    ("insecure", "--insecure", None, "Do not verify the TLS certificate (warns every time)."),
    ("timeout", "--os-api-timeout", "SECONDS", "HTTP timeout (OS_API_TIMEOUT)."),
)
CLOUD_OPTIONS: dict[str, tuple[Any, Any]] = {
    name: (
        bool if name == "insecure" else float | None if name == "timeout" else str | None,
        typer.Option(option, metavar=metavar, help=text, show_default=False),
    )
    for name, option, metavar, text in _OPTIONS
}


def cloud_command(func: Callable[..., T]) -> Callable[..., T]:
    """Add the `--os-*` options to a command whose function takes `cloud: CloudArgs`."""
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "cloud"]
    added = [
        inspect.Parameter(
            PREFIX + name,
            inspect.Parameter.KEYWORD_ONLY,
            default=False if kind is bool else None,
            annotation=Annotated[kind, option],
        )
        for name, (kind, option) in CLOUD_OPTIONS.items()
    ]
    positional = [p for p in own if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in own if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> T:
        options = {name: kwargs.pop(PREFIX + name) for name in CLOUD_OPTIONS}
        return func(*args, cloud=CloudArgs(**options), **kwargs)

    parameters = [*positional, *keyword, *added]
    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    del command.__wrapped__  # typer must see the new signature
    command.command_class = CloudCommand  # type: ignore[attr-defined]  # for lazy commands
    return command


class CloudCommand(TyperCommand):
    """A typer command whose plain options skip typer's pydantic coercion (`lazy.fast`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fast(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        return fast_help(super().get_help_option(ctx))


def command(app: typer.Typer, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register a function taking `cloud: CloudArgs` as command `name` of `app`, with the
    --os-* options (`cloud_command`) and fast option parsing (`CloudCommand`)."""

    def register(func: Callable[..., T]) -> Callable[..., T]:
        wrapped = cloud_command(func)
        app.command(name, cls=CloudCommand)(wrapped)
        return wrapped

    return register


# -- running ----------------------------------------------------------------------------------
def load(cloud: CloudArgs) -> CloudConfig:
    from powerbridge.client.config import load_config
    from powerbridge.client.errors import ClientError

    try:
        return load_config(cloud.os_cloud, overrides=cloud.overrides())
    except ClientError as problem:
        raise CliError(str(problem), hint=problem.hint) from None


def run(cloud: CloudArgs, work: Callable[[Cloud], Awaitable[T]]) -> T:
    """Open the cloud, await `work(cloud)`, close it; client errors become one line."""
    import asyncio

    from powerbridge.cli.tracing import show_client_warnings

    _skip_httpx_cli()
    from powerbridge.client.cloud import Cloud as CloudClient
    from powerbridge.client.errors import ClientError

    async def main(config: CloudConfig) -> T:
        async with CloudClient.connect(config=config) as connected:
            return await work(connected)

    restore_logging = show_client_warnings()
    try:
        return asyncio.run(main(load(cloud)))
    except ClientError as problem:
        raise client_failure(problem) from problem
    finally:
        restore_logging()


def _skip_httpx_cli() -> None:
    """httpx imports its own command-line tool (click, pygments, rich syntax) when click is
    installed; this process never runs it, so it is kept out: about 20-40 ms of start-up."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def client_failure(problem: Exception) -> CliError:
    """The CliError for a client error: its one-line message and its hint."""
    return CliError(str(problem), hint=getattr(problem, "hint", None))
