"""The estate's declared VM utilization, for the Dynamic Resource Optimizer: what PowerVC
measures on running partitions and the emulator cannot. Each entry names VMs by a regular
expression on their name and gives their CPU and memory use as fractions of their allocation;
the first entry that matches a VM counts (the admin API's declaration for one VM wins).

    utilization:
      - {name_regex: "^db", cpu: 0.9, memory: 0.6}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class UtilizationSpec:
    name_regex: str
    cpu: float = 1.0
    memory: float = 1.0


def check_utilization(estate: Any, where: str, error: type[ValueError]) -> None:
    for index, spec in enumerate(estate.utilization):
        place = f"{where}: utilization[{index}]"
        try:
            re.compile(spec.name_regex)
        except re.error as problem:
            raise error(f"{place}: name_regex is not a regular expression: {problem}") from None
        for metric in ("cpu", "memory"):
            value = getattr(spec, metric)
            if not 0 <= value <= 1:
                raise error(f"{place}: {metric} must be a fraction from 0 to 1, not {value}")


def declared(specs: list[UtilizationSpec], name: str, metric: str) -> float | None:
    for spec in specs:
        if re.search(spec.name_regex, name):
            return float(getattr(spec, metric))
    return None
