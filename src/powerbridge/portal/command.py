"""`powerbridge portal`: serve the web portal (docs/portal.md) against a PowerVC or, with
`--emulator`, against an embedded emulator started beside it (as `powerbridge demo` does).

The CLI registers this command lazily by name (cli/app.py), so the CLI and the portal stay
siblings that import nothing of each other; errors are printed as the CLI prints its own.
This is the one module of the portal that imports the emulator, and only to start it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from powerbridge.client import CloudConfig
    from powerbridge.portal.settings import PortalSettings


class StartProblem(Exception):
    """The portal cannot start; the message says why, the hint what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Running:
    """How the portal runs jobs: its workers and their lease."""

    workers: int = 1
    lease_seconds: float = 30.0


EMULATOR_SPEED = 8.0  # emulated seconds per real second: a 2-node cluster in about a minute


def portal(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            envvar="POWERBRIDGE_STORE",
            help="Job store: a SQLite file, or a sqlite:/// or postgresql:// URL"
            " (default: the per-user data dir).",
        ),
    ] = None,
    os_cloud: Annotated[
        list[str] | None,
        typer.Option(
            "--os-cloud",
            metavar="NAME",
            envvar="OS_CLOUD",
            help="The PowerVC users sign in to (clouds.yaml); jobs run as their users, its"
            " own credentials only delete a job's credential no user token may. Repeat it"
            " for several (one PowerVC per site; the first is the default): users pick"
            " theirs at sign-in, and each job runs on its user's.",
        ),
    ] = None,
    emulator: Annotated[
        bool, typer.Option("--emulator", help="Start the embedded PowerVC emulator beside it.")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Where the portal keeps its SSH key and secret key (default: the data dir).",
        ),
    ] = None,
    ssh_config: Annotated[
        list[Path] | None,
        typer.Option("--ssh-config", help="OpenSSH client config reaching the nodes."),
    ] = None,
    secure_cookies: Annotated[
        bool,
        typer.Option("--secure-cookies", help="Mark cookies Secure: served behind TLS."),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            max=64,
            help="Job-running workers in this process (0: serve pages and the API only).",
        ),
    ] = 1,
    lease_seconds: Annotated[
        float,
        typer.Option(
            "--lease-seconds",
            min=1.0,
            max=3600.0,
            help="How long a killed portal's job waits before another worker takes it over.",
        ),
    ] = 30.0,
) -> None:
    """Serve the web portal: self-service PowerHA clusters (API under /api/v1)."""
    running = Running(workers, lease_seconds)
    try:
        _serve(host, port, store, os_cloud, emulator, data_dir, ssh_config, secure_cookies, running)
    except StartProblem as problem:
        typer.echo(f"error: {problem}", err=True)
        if problem.hint:
            typer.echo(f"hint: {problem.hint}", err=True)
        raise typer.Exit(1) from None


def _serve(
    host: str,
    port: int,
    store: str | None,
    os_cloud: list[str] | None,
    emulator: bool,
    data_dir: Path | None,
    ssh_config: list[Path] | None,
    secure_cookies: bool,
    running: Running,
) -> None:
    from powerbridge.portal.serve import listen, serve
    from powerbridge.portal.settings import PortalSettings, default_data_dir

    with _clouds(os_cloud or [], emulator) as (clouds, emulator_ssh):
        configs = tuple(ssh_config or ()) + emulator_ssh
        settings = PortalSettings(
            cloud=clouds[0],
            more_clouds=clouds[1:],
            store_url=store,
            data_dir=data_dir or default_data_dir(),
            ssh_configs=configs or None,
            secure_cookies=secure_cookies,
            workers=running.workers,
            lease_seconds=running.lease_seconds,
        )
        _check_start(settings)
        try:
            sock = listen(host, port)
        except OSError as problem:
            raise StartProblem(
                f"cannot listen on {host}:{port}: {problem.strerror or problem}",
                hint="choose another --host / --port, or stop what uses that port",
            ) from None
        typer.echo(f"powerbridge portal on http://{host}:{port}/ (API docs at /api/docs)")
        serve(settings, sock)


@contextlib.contextmanager
def _clouds(
    os_cloud: list[str], emulator: bool
) -> Iterator[tuple[tuple[CloudConfig, ...], tuple[Path, ...]]]:
    from powerbridge.client import load_config
    from powerbridge.client.errors import ConfigError

    if not emulator:
        repeated = sorted({name for name in os_cloud if os_cloud.count(name) > 1})
        if repeated:
            raise StartProblem(f"--os-cloud {repeated[0]} is named twice", "name each once")
        try:
            named: list[str | None] = list(os_cloud) or [None]  # None: OS_* or clouds.yaml's one
            configs = tuple(load_config(name) for name in named)
        except ConfigError as problem:
            hint = "name a cloud with --os-cloud, or use --emulator"
            raise StartProblem(str(problem), hint) from None
        yield configs, ()
        return
    if os_cloud:
        raise StartProblem("give --os-cloud or --emulator, not both")
    from powerbridge.emulator.config import EmulatorConfig
    from powerbridge.emulator.server import running_emulator

    # any free SSH ports: the nodes' addresses come from the emulator's ssh_config
    config_ = EmulatorConfig(
        port=0, data_dir=None, clock="real", speed=EMULATOR_SPEED, ssh_ports=(0, 0)
    )
    with running_emulator(config_) as running:
        typer.echo(f"emulator: {running.auth_url} (user root, password passw0rd)")
        ssh = (running.ssh_config,) if running.ssh_config is not None else ()
        yield (load_config(environ=running.env(), search_path=[]),), ssh


def _check_start(settings: PortalSettings) -> None:
    """Open the store and the key once before serving: a problem is one line, no trace."""
    from powerbridge.ha.identity import IdentityError
    from powerbridge.jobs import JobStore, StoreError
    from powerbridge.portal.cipher import CipherError, portal_cipher
    from powerbridge.portal.keys import portal_identity

    try:
        store = JobStore.open(settings.store_url)
        try:
            portal_identity(store, portal_cipher(settings.data_dir), settings.data_dir)
        finally:
            store.close()
    except CipherError as problem:
        hint = "give --data-dir the portal.key every portal on this store uses (copy the file)"
        raise StartProblem(str(problem), hint) from None
    except StoreError as problem:
        raise StartProblem(str(problem), "give another store with --store") from None
    except (IdentityError, OSError) as problem:
        hint = "give another --data-dir"
        raise StartProblem(f"cannot use the portal's SSH key: {problem}", hint) from None
