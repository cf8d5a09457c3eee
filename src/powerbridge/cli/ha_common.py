"""What the `ha` commands share: their common options, reading the spec and the login key,
opening the job store, and turning the ha package's errors into one CLI line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from powerbridge.cli.errors import CliError
from powerbridge.cli.job_store import open_store

if TYPE_CHECKING:
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec

__all__ = [
    "NameArgument",
    "SpecArgument",
    "SshKeyOption",
    "StoreOption",
    "YesOption",
    "ha_errors",
    "load_key",
    "load_spec",
    "open_store",
]

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The cluster's name.")]
SpecArgument = Annotated[Path, typer.Argument(metavar="SPEC", help="Cluster spec (YAML).")]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        envvar="POWERBRIDGE_STORE",
        help="Job store: a SQLite file, or a sqlite:/// or postgresql:// URL"
        " (default: the per-user data dir).",
    ),
]
SshKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--ssh-key",
        metavar="FILE",
        help="Private key to log in to the nodes (default: the spec's ssh.private_key,"
        " else ssh-agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa).",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def load_spec(path: Path) -> ClusterSpec:
    from powerbridge.deploy import SpecErrors
    from powerbridge.ha.spec import load_cluster_spec

    try:
        return load_cluster_spec(path)
    except SpecErrors as problem:
        count = len(problem.errors)
        lines = "\n".join(f"  {error}" for error in problem.errors)
        raise CliError(
            f"{path}: {count} problem{'s' if count != 1 else ''} in the cluster spec;"
            f" nothing was created\n{lines}",
            hint="docs/ha.md describes every key",
        ) from None
    except UnicodeDecodeError as problem:
        raise CliError(f"cannot read {path}: byte {problem.start} is not UTF-8 text") from None
    except OSError as problem:
        raise CliError(f"cannot read the spec {path}: {problem.strerror or problem}") from None


def load_key(spec: ClusterSpec, ssh_key: Path | None) -> Identity:
    from powerbridge.ha.identity import IdentityError, load_identity

    try:
        cli_key = str(ssh_key) if ssh_key is not None else None
        return load_identity(spec.ssh.private_key, cli_key, interactive=sys.stdin.isatty())
    except IdentityError as problem:
        raise CliError(str(problem)) from None


def ha_errors(problem: Exception) -> CliError:
    return CliError(str(problem), hint=getattr(problem, "hint", None))
