"""PowerVM partition rules for compute templates (flavors) carrying ``powervm:*`` extra specs.

PowerVC deploys a virtual machine as a PowerVM logical partition. The partition profile has a
minimum, a desired and a maximum value for memory, for virtual processors and, with shared
processors, for processing units (entitled capacity). A compute template gives the desired
memory (``ram``, MB) and virtual processors (``vcpus``); ``powervm:*`` extra specs give the rest.
The rules below mirror the partition profile rules that PowerVC, the HMC and NovaLink enforce,
so the planner can refuse a template before anything is created and the PowerVC emulator can
refuse a flavor (400) or fail a deploy (ERROR with a fault) with PowerVC's own wording.

Rules (every violation is reported, not only the first):

- minimum <= desired <= maximum, and minimum <= maximum, for memory, virtual processors and,
  with shared processors, processing units;
- processing units are a multiple of 0.01 and carry between 0.05 and 1.0 units per virtual
  processor of the same level: desired units against ``vcpus``, minimum units against
  ``powervm:min_vcpu``, maximum units against ``powervm:max_vcpu`` (so 0.37 units over one
  virtual processor is a valid profile, 0.03 per virtual processor is not);
- memory and virtual processor values are positive integers; ``shared_weight`` and
  ``availability_priority`` are integers 0..255; booleans are true/t/yes/y/1 or false/f/no/n/0
  in any case; ``processor_compatibility`` is one of ``PROCESSOR_COMPATIBILITY_MODES`` in any
  case; ``ame_expansion_factor`` is 0 (off) or 1.00..10.00 in steps of 0.01;
- an unknown ``powervm:`` key is rejected; keys outside that namespace are kept, unchecked.

A value that cannot be read gives an ``invalid_value`` violation naming key and value, and is
then treated as absent.

Defaults, as PowerVC (and pypowervm's standardizer) fill a profile:

- an absent minimum or maximum memory / virtual processors equals the desired value;
- absent ``powervm:proc_units`` is ``vcpus * 0.5`` (pypowervm's proc_units_factor), kept
  within a given min/max processing units;
- absent min/max processing units equal the desired units, pulled just far enough to honour
  the per-processor limits of ``powervm:min_vcpu``/``max_vcpu`` (min = min(desired, 1.0 *
  min_vcpu), max = max(desired, 0.05 * max_vcpu)), so a valid template gives a valid profile;
- uncapped true, shared weight 128, availability priority 127, compatibility ``default``,
  simplified remote restart off, AME off (factor 0).

A rule is judged only on values the template wrote (``ram`` and ``vcpus`` always count as
written, and so does a defaulted processor bound, which equals ``vcpus``): a default is derived
from written values, so blaming it would only repeat the real fault.
``ram`` above ``powervm:max_mem`` therefore gives one violation, not a second one about the
defaulted minimum.

With ``powervm:dedicated_proc`` true the partition owns whole processors: the shared-processor
keys (processing units, ``uncapped``, ``shared_weight``, ``shared_proc_pool_name``) are
ignored, neither read nor checked, as PowerVC ignores them.

Sources, and what had to be reconstructed:

- IBM's POWER7+ and later system documentation (for example the Power 750/760 Technical
  Overview) and the HMC help: a shared-processor partition's entitlement can be as small as
  0.05 processing units per virtual processor and is set in increments of 0.01; each virtual
  processor is at most one physical processor (1.0 unit). POWER7 and earlier required 0.10
  per virtual processor; PowerVC 2.x manages POWER8 and later only, so 0.05 is the one
  minimum here, not a per-host value.
- The HMC's partition profile rules (minimum <= desired <= maximum for processing units and
  virtual processors; HSCL1566 refuses a units-to-processors ratio below the minimum) and
  dedicated processors being whole processors (``vcpus`` and its bounds are integers).
- PowerVC's flavor extra specs table (the ``powervm:*`` keys and their value ranges, shared
  weight and availability priority 0..255) and pypowervm's ``lpar_builder`` (its defaults:
  0.5 units per virtual processor, bounds copied from the desired value).
- Resizing in place (``in_place_resize_problem``): the HMC's dynamic LPAR rule that a running
  partition's memory, virtual processors and processing units move only between the minimum
  and maximum of the profile it was activated with, and PowerVC's refusal to change the
  memory bounds of an active VM (the emulator refuses the same resize).
- Reconstructed: PowerVC's exact message texts for these refusals are not published; the
  wording below follows PowerVC's ``The '<field>' value X is above the '<field>' value Y.``
  form of the order rules, with the field labels of the PowerVC compute template page.

Public surface: ``parse_template``, ``check_template``, ``validate``, ``resource_claim``,
``in_place_resize_problem``,
``format_units``, ``parse_bool``, ``PowerVMSpec``, ``RuleViolation``, ``TemplateError``,
``Key``, ``Code`` and the constants in ``__all__``. The module is pure (no I/O, stdlib only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

__all__ = [
    "BOOLEAN_FALSE",
    "BOOLEAN_TRUE",
    "DEFAULT_AVAILABILITY_PRIORITY",
    "DEFAULT_SHARED_WEIGHT",
    "DEFAULT_UNITS_PER_VP",
    "KNOWN_KEYS",
    "MAX_UNITS_PER_VP",
    "MIN_UNITS_PER_VP",
    "PREFIX",
    "PROCESSOR_COMPATIBILITY_MODES",
    "UNITS_STEP",
    "Code",
    "Key",
    "PowerVMSpec",
    "RuleViolation",
    "TemplateError",
    "check_template",
    "format_units",
    "in_place_resize_problem",
    "parse_bool",
    "parse_template",
    "resource_claim",
    "validate",
]

PREFIX: Final = "powervm:"


class Key(StrEnum):
    """The ``powervm:`` extra spec keys PowerVC understands."""

    MIN_MEM = "powervm:min_mem"
    MAX_MEM = "powervm:max_mem"
    MIN_VCPU = "powervm:min_vcpu"
    MAX_VCPU = "powervm:max_vcpu"
    PROC_UNITS = "powervm:proc_units"
    MIN_PROC_UNITS = "powervm:min_proc_units"
    MAX_PROC_UNITS = "powervm:max_proc_units"
    DEDICATED_PROC = "powervm:dedicated_proc"
    UNCAPPED = "powervm:uncapped"
    SHARED_WEIGHT = "powervm:shared_weight"
    AVAILABILITY_PRIORITY = "powervm:availability_priority"
    PROCESSOR_COMPATIBILITY = "powervm:processor_compatibility"
    SHARED_PROC_POOL_NAME = "powervm:shared_proc_pool_name"
    SRR_CAPABILITY = "powervm:srr_capability"
    AME_EXPANSION_FACTOR = "powervm:ame_expansion_factor"
    STORAGE_CONNECTIVITY_GROUP = "powervm:storage_connectivity_group"


class Code(StrEnum):
    """Short slugs classifying a violation, stable for programs (messages are for people)."""

    UNKNOWN_KEY = "unknown_key"
    INVALID_VALUE = "invalid_value"
    ABOVE_MAXIMUM = "above_maximum"
    BELOW_MINIMUM = "below_minimum"
    MINIMUM_ABOVE_MAXIMUM = "minimum_above_maximum"
    UNITS_NOT_MULTIPLE = "units_not_multiple"
    UNITS_BELOW_PER_PROCESSOR = "units_below_per_processor"
    UNITS_ABOVE_PER_PROCESSOR = "units_above_per_processor"


KNOWN_KEYS: Final[frozenset[str]] = frozenset(key.value for key in Key)
BOOLEAN_TRUE: Final[frozenset[str]] = frozenset({"true", "t", "yes", "y", "1"})
BOOLEAN_FALSE: Final[frozenset[str]] = frozenset({"false", "f", "no", "n", "0"})
PROCESSOR_COMPATIBILITY_MODES: Final[tuple[str, ...]] = (
    "default",
    "POWER6",
    "POWER6_Enhanced",
    "POWER6_Plus",
    "POWER6_Plus_Enhanced",
    "POWER7",
    "POWER8",
    "POWER8_Enhanced",
    "POWER9_Base",
    "POWER9",
    "POWER9_Enhanced",
    "POWER10",
    "POWER11",
)
# Entitlement moves in hundredths of a processor (POWER7+ and later), down to 0.05 per VP.
UNITS_STEP: Final = Decimal("0.01")
MIN_UNITS_PER_VP: Final = Decimal("0.05")
MAX_UNITS_PER_VP: Final = Decimal("1.0")
DEFAULT_UNITS_PER_VP: Final = Decimal("0.5")
DEFAULT_SHARED_WEIGHT: Final = 128
DEFAULT_AVAILABILITY_PRIORITY: Final = 127

# Eighteen digits fit the int64 columns PowerVC stores sizes in, and keep int() far from
# Python's limit on converting very long digit strings.
_MAX_INT_DIGITS: Final = 18
_INT_RE: Final = re.compile(r"[+-]?([0-9]+)")
_DECIMAL_RE: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_COMPAT_BY_LOWER: Final = {mode.lower(): mode for mode in PROCESSOR_COMPATIBILITY_MODES}
_AME_MIN: Final = Decimal(1)
_AME_MAX: Final = Decimal(10)
_AME_STEP: Final = Decimal("0.01")

_T = TypeVar("_T")


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: the field at fault, PowerVC's message text, and a slug."""

    field: str
    message: str
    code: Code


class TemplateError(ValueError):
    """A compute template breaks PowerVM rules; ``violations`` lists every broken rule."""

    def __init__(self, violations: Sequence[RuleViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__(" ".join(violation.message for violation in self.violations))


@dataclass(frozen=True)
class PowerVMSpec:
    """A compute template read into a partition profile (defaults filled in).

    The three processing unit fields are None exactly when ``dedicated_proc`` is true, and so is
    ``shared_weight``; ``shared_proc_pool_name`` is None for dedicated processors or when no pool
    is named (the host's default pool). ``other_specs`` keeps the extra specs outside the
    ``powervm:`` namespace, sorted by key, unchecked. ``defaulted`` names the ``powervm:`` keys
    whose values did not come from the template (absent, unreadable, or ignored because the
    processors are dedicated); ``validate`` checks no rule on those alone.
    """

    memory_mb: int
    min_memory_mb: int
    max_memory_mb: int
    vcpus: int
    min_vcpus: int
    max_vcpus: int
    proc_units: Decimal | None
    min_proc_units: Decimal | None
    max_proc_units: Decimal | None
    dedicated_proc: bool = False
    uncapped: bool = True
    shared_weight: int | None = DEFAULT_SHARED_WEIGHT
    availability_priority: int = DEFAULT_AVAILABILITY_PRIORITY
    processor_compatibility: str = "default"
    shared_proc_pool_name: str | None = None
    srr_capability: bool = False
    ame_expansion_factor: Decimal = Decimal(0)
    storage_connectivity_group: str | None = None
    other_specs: tuple[tuple[str, str], ...] = ()
    defaulted: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        units = (self.proc_units, self.min_proc_units, self.max_proc_units)
        expected_absent = self.dedicated_proc
        if any((value is None) != expected_absent for value in units):
            raise ValueError("processing units must be set for shared processors only")


def parse_bool(value: str | bool) -> bool:
    """Read a PowerVC boolean: true/t/yes/y/1 or false/f/no/n/0, any case, spaces ignored."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word in BOOLEAN_TRUE:
        return True
    if word in BOOLEAN_FALSE:
        return False
    raise ValueError(f"Invalid boolean value {value!r}: use true/t/yes/y/1 or false/f/no/n/0.")


def format_units(value: Decimal) -> str:
    """Show a decimal the way PowerVC messages do: no exponent, no trailing zeros."""
    if value == 0:
        return "0"  # also folds -0 and 0.00
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_template(
    ram_mb: int, vcpus: int, extra_specs: Mapping[str, object]
) -> list[RuleViolation]:
    """Every PowerVM rule the template breaks, in a stable order; empty when it is fine."""
    spec, violations = _read_template(ram_mb, vcpus, extra_specs)
    return violations + validate(spec)


def parse_template(ram_mb: int, vcpus: int, extra_specs: Mapping[str, object]) -> PowerVMSpec:
    """The template as a typed partition profile; raises TemplateError listing all violations.

    Extra spec values are read through ``str()`` so JSON numbers and booleans are accepted
    as PowerVC accepts their string forms.
    """
    spec, violations = _read_template(ram_mb, vcpus, extra_specs)
    violations += validate(spec)
    if violations:
        raise TemplateError(violations)
    return spec


def validate(spec: PowerVMSpec) -> list[RuleViolation]:
    """The relational rules (order, 0.01 steps, units per processor) checked on a spec.

    A rule is checked only when the values it judges came from the template: a default is
    derived from what was written, so blaming it would only repeat the real violation.
    """
    given = _Given(spec.defaulted)
    vcpus = (spec.min_vcpus, spec.vcpus, spec.max_vcpus)
    memory = (spec.min_memory_mb, spec.memory_mb, spec.max_memory_mb)
    violations = _check_order(_MEMORY, memory, given)
    violations += _check_order(_VCPUS, vcpus, given)
    units = _units_of(spec)
    if units is not None:
        violations += _check_order(_UNITS, units, given)
        violations += _check_units(units, vcpus, given)
    return violations


def resource_claim(spec: PowerVMSpec) -> tuple[int, Decimal]:
    """What the partition takes from a host: desired memory (MB) and desired entitlement.

    Dedicated processors are owned whole, so they claim ``vcpus`` full processing units.
    """
    if spec.proc_units is None:
        return spec.memory_mb, Decimal(spec.vcpus)
    return spec.memory_mb, spec.proc_units


def in_place_resize_problem(current: PowerVMSpec, wanted: PowerVMSpec) -> str | None:
    """Why PowerVC cannot resize a partition from `current` to `wanted` in place, or None.

    A running partition changes its desired memory, virtual processors and processing units
    by dynamic LPAR, only between the minimum and maximum its profile started with (a bound
    the template leaves out equals the desired value, so such a value cannot move); its
    memory bounds never change while it runs (PowerVC refuses that resize), and dedicated
    against shared processors only when it is rebuilt.
    """
    if current.dedicated_proc != wanted.dedicated_proc:
        return "dedicated and shared processors differ: the partition must be rebuilt"
    memory_bounds = (current.min_memory_mb, current.max_memory_mb)
    if memory_bounds != (wanted.min_memory_mb, wanted.max_memory_mb):
        return (
            f"minimum memory {current.min_memory_mb} -> {wanted.min_memory_mb} MB, maximum"
            f" {current.max_memory_mb} -> {wanted.max_memory_mb} MB: a running partition keeps"
            " its memory bounds"
        )
    levels = (
        ("memory", wanted.memory_mb, current.min_memory_mb, current.max_memory_mb, " MB"),
        ("virtual processors", wanted.vcpus, current.min_vcpus, current.max_vcpus, ""),
        (
            "processing units",
            wanted.proc_units,
            current.min_proc_units,
            current.max_proc_units,
            "",
        ),
    )
    outside = [
        f"{label} {_shown(value)} outside {_shown(low)}..{_shown(high)}{unit}"
        for label, value, low, high, unit in levels
        if value is not None and low is not None and high is not None and not low <= value <= high
    ]
    if outside:
        return ", ".join(outside) + ": dynamic LPAR stays within the partition's bounds"
    return None


def _shown(value: int | Decimal | None) -> str:
    if isinstance(value, Decimal):
        return format_units(value)
    return "none" if value is None else str(value)


# --- reading extra specs -------------------------------------------------------------------


class _BadValue(Exception):
    """A value that does not fit its key; the text says what the key requires."""


@dataclass
class _Reader:
    """Reads typed values for one template, recording a violation for each unreadable one."""

    specs: Mapping[str, object]
    violations: list[RuleViolation] = field(default_factory=list)
    found: set[str] = field(default_factory=set)

    def read(self, key: Key, convert: Callable[[str], _T]) -> _T | None:
        raw = self.specs.get(key.value)
        if raw is None:
            return None
        text = str(raw)
        try:
            value = convert(text)
        except _BadValue as bad:
            message = f"Invalid value '{text}' for '{key.value}': {bad}."
            self.violations.append(RuleViolation(key.value, message, Code.INVALID_VALUE))
            return None
        if value is not None:
            self.found.add(key.value)
        return value


def _read_template(
    ram_mb: int, vcpus: int, specs: Mapping[str, object]
) -> tuple[PowerVMSpec, list[RuleViolation]]:
    reader = _Reader(specs)
    memory = _read_memory(reader, ram_mb)
    vcpu_levels = _read_vcpus(reader, vcpus)
    dedicated = _or(reader.read(Key.DEDICATED_PROC, _boolean), False)
    units = _read_units(reader, vcpu_levels, dedicated)
    uncapped, weight, pool = _read_sharing(reader, dedicated)
    spec = PowerVMSpec(
        *memory,
        *vcpu_levels,
        *units,
        dedicated_proc=dedicated,
        uncapped=uncapped,
        shared_weight=weight,
        shared_proc_pool_name=pool,
        availability_priority=_or(
            reader.read(Key.AVAILABILITY_PRIORITY, _byte_int), DEFAULT_AVAILABILITY_PRIORITY
        ),
        processor_compatibility=_or(reader.read(Key.PROCESSOR_COMPATIBILITY, _compat), "default"),
        srr_capability=_or(reader.read(Key.SRR_CAPABILITY, _boolean), False),
        ame_expansion_factor=_or(reader.read(Key.AME_EXPANSION_FACTOR, _ame), Decimal(0)),
        storage_connectivity_group=reader.read(Key.STORAGE_CONNECTIVITY_GROUP, _text),
        other_specs=tuple(sorted((k, str(v)) for k, v in specs.items() if not _is_powervm(k))),
        defaulted=KNOWN_KEYS - reader.found,
    )
    return spec, _unknown_keys(specs) + _check_basics(ram_mb, vcpus) + reader.violations


def _read_memory(reader: _Reader, ram_mb: int) -> tuple[int, int, int]:
    low = reader.read(Key.MIN_MEM, _positive_int)
    high = reader.read(Key.MAX_MEM, _positive_int)
    return ram_mb, _or(low, ram_mb), _or(high, ram_mb)


def _read_vcpus(reader: _Reader, vcpus: int) -> tuple[int, int, int]:
    low = reader.read(Key.MIN_VCPU, _positive_int)
    high = reader.read(Key.MAX_VCPU, _positive_int)
    return vcpus, _or(low, vcpus), _or(high, vcpus)


def _read_units(
    reader: _Reader, vcpu_levels: tuple[int, int, int], dedicated: bool
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    if dedicated:
        return None, None, None
    vcpus, min_vcpus, max_vcpus = vcpu_levels
    desired = reader.read(Key.PROC_UNITS, _decimal)
    low = reader.read(Key.MIN_PROC_UNITS, _decimal)
    high = reader.read(Key.MAX_PROC_UNITS, _decimal)
    if desired is None:
        desired = _clamp(DEFAULT_UNITS_PER_VP * vcpus, low, high)
    # PowerVC copies desired into absent bounds; the pull keeps a valid template's profile valid.
    if low is None:
        low = min(desired, MAX_UNITS_PER_VP * min_vcpus)
    if high is None:
        high = max(desired, MIN_UNITS_PER_VP * max_vcpus)
    return desired, low, high


def _read_sharing(reader: _Reader, dedicated: bool) -> tuple[bool, int | None, str | None]:
    if dedicated:
        return False, None, None
    uncapped = reader.read(Key.UNCAPPED, _boolean)
    weight = reader.read(Key.SHARED_WEIGHT, _byte_int)
    pool = reader.read(Key.SHARED_PROC_POOL_NAME, _text)
    return _or(uncapped, True), _or(weight, DEFAULT_SHARED_WEIGHT), pool


def _is_powervm(key: str) -> bool:
    return key.startswith(PREFIX)


def _unknown_keys(specs: Mapping[str, object]) -> list[RuleViolation]:
    return [
        RuleViolation(key, f"Unknown PowerVM extra spec '{key}'.", Code.UNKNOWN_KEY)
        for key in specs
        if _is_powervm(key) and key not in KNOWN_KEYS
    ]


def _check_basics(ram_mb: int, vcpus: int) -> list[RuleViolation]:
    requirement = "a positive integer is required"
    return [
        RuleViolation(
            name, f"Invalid value '{value}' for '{name}': {requirement}.", Code.INVALID_VALUE
        )
        for name, value in (("ram", ram_mb), ("vcpus", vcpus))
        if value < 1
    ]


def _or(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _clamp(value: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    if high is not None:
        value = min(value, high)
    if low is not None:
        value = max(value, low)
    return value


# --- value converters: return the typed value or raise _BadValue ---------------------------


def _integer(text: str) -> int:
    match = _INT_RE.fullmatch(text.strip())
    if match is None:
        raise _BadValue("an integer is required")
    if len(match.group(1)) > _MAX_INT_DIGITS:
        raise _BadValue(f"an integer of at most {_MAX_INT_DIGITS} digits is required")
    return int(match.group(0))


def _positive_int(text: str) -> int:
    number = _integer(text)
    if number < 1:
        raise _BadValue("a positive integer is required")
    return number


def _byte_int(text: str) -> int:
    number = _integer(text)
    if not 0 <= number <= 255:
        raise _BadValue("an integer from 0 to 255 is required")
    return number


def _decimal(text: str) -> Decimal:
    # A strict pattern rather than Decimal(): no NaN, Infinity, exponents or underscores.
    stripped = text.strip()
    if _DECIMAL_RE.fullmatch(stripped) is None:
        raise _BadValue("a decimal number is required")
    return Decimal(stripped)


def _boolean(text: str) -> bool:
    try:
        return parse_bool(text)
    except ValueError:
        raise _BadValue("a boolean (true/t/yes/y/1 or false/f/no/n/0) is required") from None


def _compat(text: str) -> str:
    mode = _COMPAT_BY_LOWER.get(text.strip().lower())
    if mode is None:
        raise _BadValue(f"one of {', '.join(PROCESSOR_COMPATIBILITY_MODES)} is required")
    return mode


def _ame(text: str) -> Decimal:
    factor = _decimal(text)
    in_range = _AME_MIN <= factor <= _AME_MAX and _is_multiple(factor, _AME_STEP)
    if factor != 0 and not in_range:
        raise _BadValue("0 or a number from 1.00 to 10.00 in steps of 0.01 is required")
    return factor


def _text(text: str) -> str | None:
    # A blank field in a template form means "not set", not a name made of spaces.
    return text if text.strip() else None


# --- relational rules ------------------------------------------------------------------------

_LEVELS: Final = ("Minimum", "Desired", "Maximum")


@dataclass(frozen=True)
class _Quantity:
    """A min/desired/max triple's wording: noun, unit suffix, and the field of each level."""

    noun: str
    suffix: str
    fields: tuple[str, str, str]

    def label(self, level: int) -> str:
        return f"{_LEVELS[level]} {self.noun}"

    def show(self, value: int | Decimal) -> str:
        shown = format_units(value) if isinstance(value, Decimal) else str(value)
        return shown + self.suffix


_MEMORY: Final = _Quantity("Memory", " MB", (Key.MIN_MEM.value, "ram", Key.MAX_MEM.value))
_VCPUS: Final = _Quantity(
    "Virtual Processors", "", (Key.MIN_VCPU.value, "vcpus", Key.MAX_VCPU.value)
)
_UNITS: Final = _Quantity(
    "Processing Units",
    "",
    (Key.MIN_PROC_UNITS.value, Key.PROC_UNITS.value, Key.MAX_PROC_UNITS.value),
)
_MIN, _DESIRED, _MAX = 0, 1, 2


def _units_of(spec: PowerVMSpec) -> tuple[Decimal, Decimal, Decimal] | None:
    if spec.proc_units is None or spec.min_proc_units is None or spec.max_proc_units is None:
        return None
    return spec.min_proc_units, spec.proc_units, spec.max_proc_units


@dataclass(frozen=True)
class _Given:
    """Which fields came from the template (``ram`` and ``vcpus`` always do)."""

    defaulted: frozenset[str]

    def __call__(self, *fields: str) -> bool:
        return not self.defaulted.intersection(fields)


def _check_order(
    quantity: _Quantity,
    levels: tuple[int, int, int] | tuple[Decimal, Decimal, Decimal],
    given: _Given,
) -> list[RuleViolation]:
    low, desired, high = levels
    checks = (
        (desired > high, _DESIRED, "above", _MAX, Code.ABOVE_MAXIMUM),
        (desired < low, _DESIRED, "below", _MIN, Code.BELOW_MINIMUM),
        (low > high, _MIN, "above", _MAX, Code.MINIMUM_ABOVE_MAXIMUM),
    )
    return [
        _compare(quantity, levels, subject, relation, other, code)
        for broken, subject, relation, other, code in checks
        if broken and given(quantity.fields[subject], quantity.fields[other])
    ]


def _compare(
    quantity: _Quantity,
    levels: tuple[int, int, int] | tuple[Decimal, Decimal, Decimal],
    subject: int,
    relation: str,
    other: int,
    code: Code,
) -> RuleViolation:
    message = (
        f"The '{quantity.label(subject)}' value {quantity.show(levels[subject])} is {relation}"
        f" the '{quantity.label(other)}' value {quantity.show(levels[other])}."
    )
    return RuleViolation(quantity.fields[subject], message, code)


def _check_units(
    units: tuple[Decimal, Decimal, Decimal], vcpus: tuple[int, int, int], given: _Given
) -> list[RuleViolation]:
    violations: list[RuleViolation] = []
    for level in (_DESIRED, _MIN, _MAX):  # desired first, as the order rules report it
        if given(_UNITS.fields[level]):
            violations += _check_unit_level(level, units[level], vcpus[level])
    return violations


def _check_unit_level(level: int, units: Decimal, processors: int) -> list[RuleViolation]:
    start = f"The '{_UNITS.label(level)}' value {format_units(units)} is"
    field_name = _UNITS.fields[level]
    violations = []
    if not _is_multiple(units, UNITS_STEP):
        message = f"{start} not a multiple of {UNITS_STEP}."
        violations.append(RuleViolation(field_name, message, Code.UNITS_NOT_MULTIPLE))
    # A processor count below 1 is already reported; a ratio against it would only add noise.
    if processors >= 1 and units < MIN_UNITS_PER_VP * processors:
        message = f"{start} below {MIN_UNITS_PER_VP} per virtual processor ({processors})."
        violations.append(RuleViolation(field_name, message, Code.UNITS_BELOW_PER_PROCESSOR))
    if processors >= 1 and units > MAX_UNITS_PER_VP * processors:
        message = f"{start} above {MAX_UNITS_PER_VP} per virtual processor ({processors})."
        violations.append(RuleViolation(field_name, message, Code.UNITS_ABOVE_PER_PROCESSOR))
    return violations


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    # Exact rational arithmetic: Decimal's % is bounded by the context precision.
    numerator, denominator = value.as_integer_ratio()
    step_numerator, step_denominator = step.as_integer_ratio()
    return (numerator * step_denominator) % (denominator * step_numerator) == 0
