"""A golden recording of the emulator's wire: a fixed scenario over every route, normalised.

The scenario (`wire_scenario`) runs against fresh in-memory emulators mounted in-process
(`wire_session`). Each exchange keeps what clients read: method, path, request body, status,
the headers clients act on and the body, with run-dependent values masked (`wire_masks`).

Regenerate the golden file after an intended wire change:

    python -m tests.support.wire_recorder --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tests.support.wire_masks import Normaliser
from tests.support.wire_scenario import run_scenario

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "emulator_wire.json"
REGENERATE = "python -m tests.support.wire_recorder --write"


def record() -> list[dict[str, Any]]:
    """The normalised exchanges of one run of the scenario."""
    raw = run_scenario()
    normaliser = Normaliser()
    return [normaliser.value(exchange) for exchange in raw]


def render(exchanges: list[dict[str, Any]]) -> str:
    lines = [json.dumps(exchange, ensure_ascii=False) for exchange in exchanges]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {GOLDEN.name}")
    args = parser.parse_args(argv)
    exchanges = record()
    text = render(exchanges)
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN} ({len(exchanges)} exchanges)")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
