"""The fast texts (`powerbridge --help`, `--version`, `GROUP --help`, printed without typer)
are exactly what typer prints. When this fails, regenerate them:

    python -m powerbridge.cli.help_gen && ruff format src/powerbridge/cli/help_text.py
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from powerbridge.cli import help_gen, help_text, main

REGENERATE = (
    "help texts drifted from typer's output: run `python -m powerbridge.cli.help_gen && "
    "ruff format src/powerbridge/cli/help_text.py`"
)
PROBE = (
    "import sys\n"
    "from powerbridge.cli.main import run\n"
    "try:\n"
    "    run(sys.argv[1:])\n"
    "finally:\n"
    "    print('TYPER' if 'typer' in sys.modules else 'NO TYPER', file=sys.stderr)\n"
)


def fast_cases() -> list[list[str]]:
    cases = [["--help"], ["-h"], ["--version"]]
    return cases + [[name, "--help"] for name in help_gen.group_names()] + [["deploy", "-h"]]


def run_fast(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "POWERBRIDGE_DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**environ, **env},
    )


def test_generated_texts_are_typers_own() -> None:
    assert help_gen.texts() == help_text.TEXTS, REGENERATE
    assert help_gen.width() == help_text.WIDTH, REGENERATE


def test_every_group_has_a_fast_text() -> None:
    assert set(help_text.TEXTS) == {"", *help_gen.group_names()}, REGENERATE


@pytest.mark.parametrize("args", fast_cases(), ids=" ".join)
def test_fast_path_prints_what_typer_prints_without_typer(args: list[str]) -> None:
    result = run_fast(args)
    assert result.returncode == 0
    assert result.stderr == "NO TYPER\n"
    assert result.stdout == help_gen.render(args), REGENERATE


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {"COLUMNS": "60"}),  # a narrow terminal: typer lays it out
        (["image", "--help"], {"POWERBRIDGE_DEBUG": "maybe"}),  # typer's usage error
        (["demo", "--help"], {}),  # a leaf command
        (["-v", "--help"], {}),
        (["image", "list", "--help"], {}),
    ],
)
def test_other_cases_go_through_typer(args: list[str], env: dict[str, str]) -> None:
    result = run_fast(args, **env)
    assert result.stderr.endswith("TYPER\n")
    assert not result.stderr.endswith("NO TYPER\n")


def test_width_is_clicks(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    for columns in ("200", "80", "79", "60", "10", "junk", "0"):
        monkeypatch.setenv("COLUMNS", columns)
        expected = max(min(shutil.get_terminal_size().columns, 80) - 2, 50)
        assert main.help_width() == expected, columns


def test_fast_text_declines_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "79")
    assert main.fast_text(["--help"]) is None
    monkeypatch.setenv("COLUMNS", "120")
    assert main.fast_text(["--help"]) == help_text.TEXTS[""]
