"""PowerVM compute template rules: exact PowerVC messages, defaults and properties."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerbridge import powervm
from powerbridge.powervm import (
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    KNOWN_KEYS,
    PROCESSOR_COMPATIBILITY_MODES,
    Code,
    Key,
    PowerVMSpec,
    RuleViolation,
    TemplateError,
    check_template,
    format_units,
    parse_bool,
    parse_template,
    resource_claim,
    validate,
)

DETERMINISTIC = settings(derandomize=True, max_examples=300, deadline=None)

Template = tuple[int, int, dict[str, str]]


def units(hundredths: int) -> str:
    """Processing units given in hundredths (the PowerVM step), written as PowerVC prints them
    (2.5, 3, 0.37)."""
    return str(Decimal(hundredths) / Decimal(100))


def messages(ram_mb: int, vcpus: int, specs: Mapping[str, object]) -> list[str]:
    return [violation.message for violation in check_template(ram_mb, vcpus, specs)]


# --- realistic PowerVC templates --------------------------------------------------------------

SAMPLE_TEMPLATES: dict[str, Template] = {
    "powervm.tiny": (
        2048,
        1,
        {
            "powervm:proc_units": "0.25",
            "powervm:min_proc_units": "0.1",
            "powervm:max_proc_units": "0.5",
            "powervm:min_mem": "1024",
            "powervm:max_mem": "4096",
            "powervm:min_vcpu": "1",
            "powervm:max_vcpu": "2",
            "powervm:dedicated_proc": "false",
            "powervm:uncapped": "true",
            "powervm:shared_weight": "128",
            "powervm:availability_priority": "127",
            "powervm:processor_compatibility": "default",
            "powervm:srr_capability": "true",
        },
    ),
    "powervm.small": (
        4096,
        2,
        {
            "powervm:proc_units": "0.5",
            "powervm:min_proc_units": "0.25",
            "powervm:max_proc_units": "1",
            "powervm:min_mem": "2048",
            "powervm:max_mem": "8192",
            "powervm:min_vcpu": "1",
            "powervm:max_vcpu": "4",
            "powervm:uncapped": "true",
            "powervm:shared_weight": "128",
        },
    ),
    "powervm.medium": (
        8192,
        4,
        {
            "powervm:proc_units": "1.0",
            "powervm:min_proc_units": "0.5",
            "powervm:max_proc_units": "2.0",
            "powervm:min_mem": "4096",
            "powervm:max_mem": "16384",
            "powervm:min_vcpu": "2",
            "powervm:max_vcpu": "8",
            "powervm:srr_capability": "True",
        },
    ),
    "powervm.large": (
        16384,
        8,
        {
            "powervm:proc_units": "2.00",
            "powervm:min_proc_units": "1.00",
            "powervm:max_proc_units": "4.00",
            "powervm:min_mem": "8192",
            "powervm:max_mem": "32768",
            "powervm:min_vcpu": "4",
            "powervm:max_vcpu": "16",
            "powervm:processor_compatibility": "POWER9_Base",
        },
    ),
    "powervm.xlarge": (
        32768,
        16,
        {
            "powervm:proc_units": "4",
            "powervm:min_proc_units": "2",
            "powervm:max_proc_units": "8",
            "powervm:min_mem": "16384",
            "powervm:max_mem": "65536",
            "powervm:min_vcpu": "8",
            "powervm:max_vcpu": "32",
            "powervm:uncapped": "false",
            "powervm:processor_compatibility": "POWER10",
            "powervm:ame_expansion_factor": "1.5",
        },
    ),
    "dedicated.db": (
        65536,
        8,
        {
            "powervm:dedicated_proc": "true",
            "powervm:min_vcpu": "4",
            "powervm:max_vcpu": "16",
            "powervm:min_mem": "32768",
            "powervm:max_mem": "131072",
            "powervm:availability_priority": "255",
            "powervm:storage_connectivity_group": "Any host, all VIOS",
        },
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_TEMPLATES))
def test_realistic_templates_pass(name: str) -> None:
    ram_mb, vcpus, specs = SAMPLE_TEMPLATES[name]
    assert check_template(ram_mb, vcpus, specs) == []
    spec = parse_template(ram_mb, vcpus, specs)
    assert spec.memory_mb == ram_mb
    assert validate(spec) == []


def test_tiny_template_reads_into_a_profile() -> None:
    spec = parse_template(*SAMPLE_TEMPLATES["powervm.tiny"])
    assert (spec.min_memory_mb, spec.memory_mb, spec.max_memory_mb) == (1024, 2048, 4096)
    assert (spec.min_vcpus, spec.vcpus, spec.max_vcpus) == (1, 1, 2)
    assert (spec.min_proc_units, spec.proc_units, spec.max_proc_units) == (
        Decimal("0.1"),
        Decimal("0.25"),
        Decimal("0.5"),
    )
    assert spec.srr_capability is True
    assert resource_claim(spec) == (2048, Decimal("0.25"))


# --- exact PowerVC messages -------------------------------------------------------------------

EXACT_CASES: list[tuple[Template, list[tuple[str, Code, str]]]] = [
    (
        (10240, 2, {"powervm:max_mem": "8192"}),
        [
            (
                "ram",
                Code.ABOVE_MAXIMUM,
                "The 'Desired Memory' value 10240 MB is above the 'Maximum Memory' value 8192 MB.",
            )
        ],
    ),
    (
        (1024, 2, {"powervm:min_mem": "2048"}),
        [
            (
                "ram",
                Code.BELOW_MINIMUM,
                "The 'Desired Memory' value 1024 MB is below the 'Minimum Memory' value 2048 MB.",
            )
        ],
    ),
    (
        (4096, 8, {"powervm:max_vcpu": "4"}),
        [
            (
                "vcpus",
                Code.ABOVE_MAXIMUM,
                "The 'Desired Virtual Processors' value 8 is above the"
                " 'Maximum Virtual Processors' value 4.",
            )
        ],
    ),
    (
        (4096, 1, {"powervm:min_vcpu": "2"}),
        [
            (
                "vcpus",
                Code.BELOW_MINIMUM,
                "The 'Desired Virtual Processors' value 1 is below the"
                " 'Minimum Virtual Processors' value 2.",
            )
        ],
    ),
    (
        (4096, 4, {"powervm:proc_units": "2.5", "powervm:max_proc_units": "2"}),
        [
            (
                "powervm:proc_units",
                Code.ABOVE_MAXIMUM,
                "The 'Desired Processing Units' value 2.5 is above the"
                " 'Maximum Processing Units' value 2.",
            )
        ],
    ),
    (
        (4096, 4, {"powervm:proc_units": "0.50", "powervm:min_proc_units": "1.00"}),
        [
            (
                "powervm:proc_units",
                Code.BELOW_MINIMUM,
                "The 'Desired Processing Units' value 0.5 is below the"
                " 'Minimum Processing Units' value 1.",
            )
        ],
    ),
    (
        (4096, 4, {"powervm:proc_units": "0.1"}),
        [
            (
                "powervm:proc_units",
                Code.UNITS_BELOW_PER_PROCESSOR,
                "The 'Desired Processing Units' value 0.1 is below 0.05 per virtual processor (4).",
            )
        ],
    ),
    (
        (4096, 4, {"powervm:proc_units": "5"}),
        [
            (
                "powervm:proc_units",
                Code.UNITS_ABOVE_PER_PROCESSOR,
                "The 'Desired Processing Units' value 5 is above 1.0 per virtual processor (4).",
            )
        ],
    ),
    (
        (4096, 2, {"powervm:proc_units": "0.125"}),
        [
            (
                "powervm:proc_units",
                Code.UNITS_NOT_MULTIPLE,
                "The 'Desired Processing Units' value 0.125 is not a multiple of 0.01.",
            )
        ],
    ),
    (
        (4096, 2, {"powervm:min_mem": "8192", "powervm:max_mem": "4096"}),
        [
            (
                "ram",
                Code.BELOW_MINIMUM,
                "The 'Desired Memory' value 4096 MB is below the 'Minimum Memory' value 8192 MB.",
            ),
            (
                "powervm:min_mem",
                Code.MINIMUM_ABOVE_MAXIMUM,
                "The 'Minimum Memory' value 8192 MB is above the 'Maximum Memory' value 4096 MB.",
            ),
        ],
    ),
    (
        (4096, 4, {"powervm:min_vcpu": "4", "powervm:max_vcpu": "2"}),
        [
            (
                "vcpus",
                Code.ABOVE_MAXIMUM,
                "The 'Desired Virtual Processors' value 4 is above the"
                " 'Maximum Virtual Processors' value 2.",
            ),
            (
                "powervm:min_vcpu",
                Code.MINIMUM_ABOVE_MAXIMUM,
                "The 'Minimum Virtual Processors' value 4 is above the"
                " 'Maximum Virtual Processors' value 2.",
            ),
        ],
    ),
    (
        (
            4096,
            4,
            {
                "powervm:proc_units": "1",
                "powervm:min_proc_units": "1.5",
                "powervm:max_proc_units": "0.5",
            },
        ),
        [
            (
                "powervm:proc_units",
                Code.ABOVE_MAXIMUM,
                "The 'Desired Processing Units' value 1 is above the"
                " 'Maximum Processing Units' value 0.5.",
            ),
            (
                "powervm:proc_units",
                Code.BELOW_MINIMUM,
                "The 'Desired Processing Units' value 1 is below the"
                " 'Minimum Processing Units' value 1.5.",
            ),
            (
                "powervm:min_proc_units",
                Code.MINIMUM_ABOVE_MAXIMUM,
                "The 'Minimum Processing Units' value 1.5 is above the"
                " 'Maximum Processing Units' value 0.5.",
            ),
        ],
    ),
    (
        (4096, 1, {"powervm:foo": "1"}),
        [("powervm:foo", Code.UNKNOWN_KEY, "Unknown PowerVM extra spec 'powervm:foo'.")],
    ),
    (
        (4096, 1, {"powervm:max_mem": "abc"}),
        [
            (
                "powervm:max_mem",
                Code.INVALID_VALUE,
                "Invalid value 'abc' for 'powervm:max_mem': an integer is required.",
            )
        ],
    ),
]


@pytest.mark.parametrize(("template", "expected"), EXACT_CASES)
def test_exact_messages(template: Template, expected: list[tuple[str, Code, str]]) -> None:
    ram_mb, vcpus, specs = template
    found = [(v.field, v.code, v.message) for v in check_template(ram_mb, vcpus, specs)]
    assert found == expected


def test_units_checked_per_level_against_matching_processor_count() -> None:
    specs = {
        "powervm:min_vcpu": "2",
        "powervm:max_vcpu": "8",
        "powervm:proc_units": "1",
        "powervm:min_proc_units": "0.05",
        "powervm:max_proc_units": "9",
    }
    assert messages(4096, 4, specs) == [
        "The 'Minimum Processing Units' value 0.05 is below 0.05 per virtual processor (2).",
        "The 'Maximum Processing Units' value 9 is above 1.0 per virtual processor (8).",
    ]


def test_not_multiple_applies_to_every_level() -> None:
    specs = {"powervm:min_proc_units": "0.333", "powervm:max_proc_units": "1.015"}
    assert messages(4096, 2, specs) == [
        "The 'Minimum Processing Units' value 0.333 is not a multiple of 0.01.",
        "The 'Maximum Processing Units' value 1.015 is not a multiple of 0.01.",
    ]


@pytest.mark.parametrize(
    ("key", "value", "requirement"),
    [
        ("powervm:min_mem", "1.5", "an integer is required"),
        ("powervm:min_mem", "0", "a positive integer is required"),
        ("powervm:max_vcpu", "-2", "a positive integer is required"),
        ("powervm:max_vcpu", "1" * 19, "an integer of at most 18 digits is required"),
        ("powervm:shared_weight", "256", "an integer from 0 to 255 is required"),
        ("powervm:availability_priority", "-1", "an integer from 0 to 255 is required"),
        ("powervm:proc_units", "NaN", "a decimal number is required"),
        ("powervm:proc_units", "1e3", "a decimal number is required"),
        ("powervm:max_proc_units", "1_0", "a decimal number is required"),
        ("powervm:uncapped", "maybe", "a boolean (true/t/yes/y/1 or false/f/no/n/0) is required"),
        (
            "powervm:processor_compatibility",
            "POWER5",
            "one of " + ", ".join(PROCESSOR_COMPATIBILITY_MODES) + " is required",
        ),
        (
            "powervm:ame_expansion_factor",
            "0.5",
            "0 or a number from 1.00 to 10.00 in steps of 0.01 is required",
        ),
        (
            "powervm:ame_expansion_factor",
            "1.005",
            "0 or a number from 1.00 to 10.00 in steps of 0.01 is required",
        ),
    ],
)
def test_invalid_values_name_key_and_value(key: str, value: str, requirement: str) -> None:
    violations = check_template(4096, 2, {key: value})
    assert violations == [
        RuleViolation(
            key, f"Invalid value '{value}' for '{key}': {requirement}.", Code.INVALID_VALUE
        )
    ]


@pytest.mark.parametrize(("ram_mb", "vcpus", "field"), [(0, 1, "ram"), (2048, 0, "vcpus")])
def test_ram_and_vcpus_must_be_positive(ram_mb: int, vcpus: int, field: str) -> None:
    value = ram_mb if field == "ram" else vcpus
    assert messages(ram_mb, vcpus, {}) == [
        f"Invalid value '{value}' for '{field}': a positive integer is required."
    ]


def test_all_violations_reported_in_a_stable_order() -> None:
    specs = {
        "powervm:bogus": "x",
        "powervm:max_mem": "1024",
        "powervm:shared_weight": "999",
        "powervm:max_vcpu": "1",
        "powervm:proc_units": "0.125",
        "hw:cpu_policy": "dedicated",
    }
    codes = [(v.field, v.code) for v in check_template(2048, 2, specs)]
    assert codes == [
        ("powervm:bogus", Code.UNKNOWN_KEY),
        ("powervm:shared_weight", Code.INVALID_VALUE),
        ("ram", Code.ABOVE_MAXIMUM),
        ("vcpus", Code.ABOVE_MAXIMUM),
        ("powervm:proc_units", Code.UNITS_NOT_MULTIPLE),
    ]


def test_template_error_carries_every_violation() -> None:
    specs = {"powervm:max_mem": "1024", "powervm:foo": "1"}
    with pytest.raises(TemplateError) as caught:
        parse_template(2048, 1, specs)
    assert isinstance(caught.value, ValueError)
    assert caught.value.violations == tuple(check_template(2048, 1, specs))
    assert str(caught.value) == (
        "Unknown PowerVM extra spec 'powervm:foo'."
        " The 'Desired Memory' value 2048 MB is above the 'Maximum Memory' value 1024 MB."
    )


# --- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("word", sorted(BOOLEAN_TRUE))
def test_parse_bool_true_words_any_case(word: str) -> None:
    assert parse_bool(word) is True
    assert parse_bool(word.upper()) is True
    assert parse_bool(f" {word.title()} ") is True


@pytest.mark.parametrize("word", sorted(BOOLEAN_FALSE))
def test_parse_bool_false_words_any_case(word: str) -> None:
    assert parse_bool(word) is False
    assert parse_bool(word.upper()) is False


def test_parse_bool_passes_booleans_through() -> None:
    assert parse_bool(True) is True
    assert parse_bool(False) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "truee", "on", "off"])
def test_parse_bool_rejects_other_words(word: str) -> None:
    with pytest.raises(ValueError, match="Invalid boolean value"):
        parse_bool(word)


def test_boolean_sets() -> None:
    assert frozenset({"true", "t", "yes", "y", "1"}) == BOOLEAN_TRUE
    assert frozenset({"false", "f", "no", "n", "0"}) == BOOLEAN_FALSE


# --- defaults and reading -------------------------------------------------------------------


def test_absent_bounds_default_to_desired() -> None:
    spec = parse_template(4096, 4, {})
    assert (spec.min_memory_mb, spec.memory_mb, spec.max_memory_mb) == (4096, 4096, 4096)
    assert (spec.min_vcpus, spec.vcpus, spec.max_vcpus) == (4, 4, 4)
    assert spec.proc_units == Decimal(2)  # vcpus * 0.5
    assert spec.min_proc_units == spec.max_proc_units == Decimal(2)
    assert spec.dedicated_proc is False
    assert spec.uncapped is True
    assert spec.shared_weight == 128
    assert spec.availability_priority == 127
    assert spec.processor_compatibility == "default"
    assert spec.srr_capability is False
    assert spec.ame_expansion_factor == 0
    assert spec.shared_proc_pool_name is None
    assert spec.storage_connectivity_group is None
    assert spec.defaulted == KNOWN_KEYS


def test_default_units_stay_within_given_bounds() -> None:
    assert parse_template(4096, 4, {"powervm:max_proc_units": "1"}).proc_units == 1
    assert parse_template(4096, 1, {"powervm:min_proc_units": "0.75"}).proc_units == Decimal("0.75")


def test_default_unit_bounds_follow_processor_bounds() -> None:
    spec = parse_template(4096, 4, {"powervm:min_vcpu": "1", "powervm:max_vcpu": "64"})
    assert spec.proc_units == 2
    assert spec.min_proc_units == 1  # at most 1.0 per minimum virtual processor
    assert spec.max_proc_units == Decimal("3.2")  # at least 0.05 per maximum virtual processor
    assert validate(dataclasses.replace(spec, defaulted=frozenset())) == []


def test_dedicated_ignores_shared_processor_keys() -> None:
    specs = {
        "powervm:dedicated_proc": "Yes",
        "powervm:proc_units": "not a number",
        "powervm:max_proc_units": "0.01",
        "powervm:uncapped": "perhaps",
        "powervm:shared_weight": "999",
        "powervm:shared_proc_pool_name": "pool1",
    }
    spec = parse_template(8192, 6, specs)
    assert spec.dedicated_proc is True
    assert (spec.proc_units, spec.min_proc_units, spec.max_proc_units) == (None, None, None)
    assert (spec.uncapped, spec.shared_weight, spec.shared_proc_pool_name) == (False, None, None)
    assert resource_claim(spec) == (8192, Decimal(6))


def test_dedicated_still_checks_processor_order() -> None:
    specs = {"powervm:dedicated_proc": "1", "powervm:max_vcpu": "2"}
    assert [v.code for v in check_template(8192, 6, specs)] == [Code.ABOVE_MAXIMUM]


def test_shared_values_are_read() -> None:
    specs = {
        "powervm:uncapped": "N",
        "powervm:shared_weight": "0",
        "powervm:availability_priority": "255",
        "powervm:processor_compatibility": "power9_base",
        "powervm:shared_proc_pool_name": "ProdPool",
        "powervm:srr_capability": "y",
        "powervm:ame_expansion_factor": "2.25",
        "powervm:storage_connectivity_group": "  ",
    }
    spec = parse_template(4096, 2, specs)
    assert spec.uncapped is False
    assert spec.shared_weight == 0
    assert spec.availability_priority == 255
    assert spec.processor_compatibility == "POWER9_Base"
    assert spec.shared_proc_pool_name == "ProdPool"
    assert spec.srr_capability is True
    assert spec.ame_expansion_factor == Decimal("2.25")
    assert spec.storage_connectivity_group is None  # blank means not set


def test_other_namespaces_are_kept_unchecked() -> None:
    specs = {"hw:cpu_policy": "whatever", "POWERVM:max_mem": "abc", "powervm:max_mem": "4096"}
    spec = parse_template(2048, 1, specs)
    assert spec.other_specs == (("POWERVM:max_mem", "abc"), ("hw:cpu_policy", "whatever"))


def test_json_scalars_are_read_through_their_text() -> None:
    specs: dict[str, object] = {
        "powervm:max_mem": 8192,
        "powervm:uncapped": False,
        "powervm:proc_units": 0.5,
        "powervm:storage_connectivity_group": None,
    }
    spec = parse_template(2048, 1, specs)
    assert (spec.max_memory_mb, spec.uncapped, spec.proc_units) == (8192, False, Decimal("0.5"))


def test_known_keys() -> None:
    names = {
        "min_mem",
        "max_mem",
        "min_vcpu",
        "max_vcpu",
        "proc_units",
        "min_proc_units",
        "max_proc_units",
        "dedicated_proc",
        "uncapped",
        "shared_weight",
        "availability_priority",
        "processor_compatibility",
        "shared_proc_pool_name",
        "srr_capability",
        "ame_expansion_factor",
        "storage_connectivity_group",
    }
    assert {f"powervm:{name}" for name in names} == KNOWN_KEYS
    assert str(Key.MAX_MEM) == "powervm:max_mem"


def test_spec_is_frozen_and_consistent() -> None:
    spec = parse_template(2048, 1, {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.memory_mb = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="shared processors only"):
        dataclasses.replace(spec, dedicated_proc=True)
    assert hash(spec) == hash(parse_template(2048, 1, {}))


def test_validate_checks_every_value_of_a_hand_built_spec() -> None:
    spec = PowerVMSpec(
        memory_mb=4096,
        min_memory_mb=4096,
        max_memory_mb=4096,
        vcpus=4,
        min_vcpus=1,
        max_vcpus=4,
        proc_units=Decimal(2),
        min_proc_units=Decimal(2),
        max_proc_units=Decimal(2),
    )
    assert [v.message for v in validate(spec)] == [
        "The 'Minimum Processing Units' value 2 is above 1.0 per virtual processor (1)."
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.50", "0.5"),
        ("2.00", "2"),
        ("0.05", "0.05"),
        ("100", "100"),
        ("1E+2", "100"),
        ("0.000", "0"),
        ("-0", "0"),
        ("12.340", "12.34"),
    ],
)
def test_format_units(value: str, text: str) -> None:
    assert format_units(Decimal(value)) == text


def test_resource_claim_for_shared_processors() -> None:
    spec = parse_template(8192, 4, {"powervm:proc_units": "1.5"})
    assert resource_claim(spec) == (8192, Decimal("1.5"))


# --- properties -----------------------------------------------------------------------------

SHARED_EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "powervm:uncapped": st.sampled_from(sorted(BOOLEAN_TRUE | BOOLEAN_FALSE)),
        "powervm:shared_weight": st.integers(0, 255).map(str),
        "powervm:availability_priority": st.integers(0, 255).map(str),
        "powervm:processor_compatibility": st.sampled_from(PROCESSOR_COMPATIBILITY_MODES),
        "powervm:srr_capability": st.sampled_from(["True", "false", "YES", "n"]),
        "powervm:ame_expansion_factor": st.sampled_from(["0", "1", "1.25", "10.00"]),
        "powervm:shared_proc_pool_name": st.text(max_size=20),
        "storage:template": st.text(max_size=20),
    },
)

# Dropping any of these leaves a valid template valid (the others would move a bound).
DROPPABLE = sorted(
    {Key.MIN_MEM, Key.MAX_MEM, Key.PROC_UNITS, Key.MIN_PROC_UNITS, Key.MAX_PROC_UNITS}
)


def ordered(low: int, high: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(low, high), min_size=3, max_size=3).map(sorted)


@st.composite
def valid_templates(draw: st.DrawFn) -> Template:
    min_mem, ram, max_mem = draw(ordered(1, 4_194_304))
    min_vcpu, vcpus, max_vcpu = draw(ordered(1, 256))
    # In hundredths of a unit: each level within 0.05..1.0 per processor of its level.
    desired = draw(st.integers(5 * vcpus, 100 * vcpus))
    low = draw(st.integers(5 * min_vcpu, min(100 * min_vcpu, desired)))
    high = draw(st.integers(max(desired, 5 * max_vcpu), 100 * max_vcpu))
    specs = {
        Key.MIN_MEM.value: str(min_mem),
        Key.MAX_MEM.value: str(max_mem),
        Key.MIN_VCPU.value: str(min_vcpu),
        Key.MAX_VCPU.value: str(max_vcpu),
        Key.MIN_PROC_UNITS.value: units(low),
        Key.PROC_UNITS.value: units(desired),
        Key.MAX_PROC_UNITS.value: units(high),
    }
    for key in draw(st.sets(st.sampled_from(DROPPABLE))):
        del specs[key.value]
    return ram, vcpus, specs | draw(SHARED_EXTRAS)


@DETERMINISTIC
@given(valid_templates())
def test_valid_templates_pass(template: Template) -> None:
    ram_mb, vcpus, specs = template
    assert check_template(ram_mb, vcpus, specs) == []
    spec = parse_template(ram_mb, vcpus, specs)
    memory, entitlement = resource_claim(spec)
    assert memory == ram_mb
    assert Decimal("0.05") * vcpus <= entitlement <= vcpus


@DETERMINISTIC
@given(valid_templates())
def test_defaults_of_a_valid_template_form_a_valid_profile(template: Template) -> None:
    spec = parse_template(*template)
    assert validate(dataclasses.replace(spec, defaulted=frozenset())) == []


# --- the processing-unit step and the per-processor floor (POWER7+ and later) ---------------


@DETERMINISTIC
@given(vcpus=st.integers(1, 256), data=st.data())
def test_any_hundredth_within_the_per_processor_range_is_accepted(
    vcpus: int, data: st.DataObject
) -> None:
    hundredths = data.draw(st.integers(5 * vcpus, 100 * vcpus))
    assert check_template(4096, vcpus, {Key.PROC_UNITS.value: units(hundredths)}) == []


@DETERMINISTIC
@given(vcpus=st.integers(1, 64), data=st.data())
def test_a_finer_step_than_a_hundredth_is_refused(vcpus: int, data: st.DataObject) -> None:
    # Thousandths that are not whole hundredths, inside the per-processor range.
    thousandths = data.draw(st.integers(50 * vcpus, 1000 * vcpus - 1).filter(lambda n: n % 10 != 0))
    value = str(Decimal(thousandths) / Decimal(1000))
    assert check_template(4096, vcpus, {Key.PROC_UNITS.value: value}) == [
        RuleViolation(
            Key.PROC_UNITS.value,
            f"The 'Desired Processing Units' value {value} is not a multiple of 0.01.",
            Code.UNITS_NOT_MULTIPLE,
        )
    ]


@DETERMINISTIC
@given(vcpus=st.integers(1, 64), data=st.data())
def test_below_five_hundredths_per_processor_is_refused(vcpus: int, data: st.DataObject) -> None:
    hundredths = data.draw(st.integers(1, 5 * vcpus - 1))
    value = units(hundredths)
    assert check_template(4096, vcpus, {Key.PROC_UNITS.value: value}) == [
        RuleViolation(
            Key.PROC_UNITS.value,
            f"The 'Desired Processing Units' value {value} is below 0.05 per virtual"
            f" processor ({vcpus}).",
            Code.UNITS_BELOW_PER_PROCESSOR,
        )
    ]


@pytest.mark.parametrize(
    ("vcpus", "proc_units", "expected"),
    [
        (1, "0.37", []),
        (1, "0.05", []),
        (3, "0.15", []),
        (1, "1", []),
        (
            1,
            "0.03",
            ["The 'Desired Processing Units' value 0.03 is below 0.05 per virtual processor (1)."],
        ),
        (
            2,
            "0.06",
            ["The 'Desired Processing Units' value 0.06 is below 0.05 per virtual processor (2)."],
        ),
        (
            2,
            "2.01",
            ["The 'Desired Processing Units' value 2.01 is above 1.0 per virtual processor (2)."],
        ),
    ],
)
def test_units_against_virtual_processors(vcpus: int, proc_units: str, expected: list[str]) -> None:
    assert messages(4096, vcpus, {Key.PROC_UNITS.value: proc_units}) == expected


def test_dedicated_processors_ignore_fractional_units() -> None:
    specs = {Key.DEDICATED_PROC.value: "true", Key.PROC_UNITS.value: "0.375"}
    assert check_template(4096, 2, specs) == []
    assert resource_claim(parse_template(4096, 2, specs)) == (4096, Decimal(2))


@dataclasses.dataclass(frozen=True)
class Quantity:
    """How to build a template from a (min, desired, max) triple and how PowerVC words it."""

    noun: str
    build: Callable[[int, int, int], Template]
    show: Callable[[int], str]
    fields: tuple[str, str, str]
    bounds: tuple[int, int]


QUANTITIES = {
    "memory": Quantity(
        "Memory",
        lambda lo, d, hi: (d, 2, {"powervm:min_mem": str(lo), "powervm:max_mem": str(hi)}),
        lambda v: f"{v} MB",
        ("powervm:min_mem", "ram", "powervm:max_mem"),
        (1, 1_000_000),
    ),
    "vcpus": Quantity(
        "Virtual Processors",
        lambda lo, d, hi: (4096, d, {"powervm:min_vcpu": str(lo), "powervm:max_vcpu": str(hi)}),
        str,
        ("powervm:min_vcpu", "vcpus", "powervm:max_vcpu"),
        (1, 512),
    ),
    # 20 processors at every level so 1..20 units (100..2000 hundredths) never break a ratio.
    "units": Quantity(
        "Processing Units",
        lambda lo, d, hi: (
            4096,
            20,
            {
                "powervm:min_vcpu": "20",
                "powervm:max_vcpu": "20",
                "powervm:min_proc_units": units(lo),
                "powervm:proc_units": units(d),
                "powervm:max_proc_units": units(hi),
            },
        ),
        units,
        ("powervm:min_proc_units", "powervm:proc_units", "powervm:max_proc_units"),
        (100, 2000),
    ),
}


def order_message(
    quantity: Quantity, subject: str, a: int, relation: str, other: str, b: int
) -> str:
    return (
        f"The '{subject} {quantity.noun}' value {quantity.show(a)} is {relation}"
        f" the '{other} {quantity.noun}' value {quantity.show(b)}."
    )


@st.composite
def strict_triples(draw: st.DrawFn, bounds: tuple[int, int]) -> tuple[int, int, int]:
    values = draw(st.lists(st.integers(*bounds), min_size=3, max_size=3, unique=True))
    low, desired, high = sorted(values)
    return low, desired, high


QUANTITY_NAMES = sorted(QUANTITIES)


@DETERMINISTIC
@given(name=st.sampled_from(QUANTITY_NAMES), data=st.data())
def test_valid_triple_passes(name: str, data: st.DataObject) -> None:
    quantity = QUANTITIES[name]
    low, desired, high = data.draw(ordered(*quantity.bounds))
    assert check_template(*quantity.build(low, desired, high)) == []


@DETERMINISTIC
@given(name=st.sampled_from(QUANTITY_NAMES), data=st.data())
def test_maximum_below_desired_gives_exactly_that_violation(name: str, data: st.DataObject) -> None:
    quantity = QUANTITIES[name]
    low, desired, _ = data.draw(strict_triples(quantity.bounds))
    high = data.draw(st.integers(low, desired - 1))
    expected = RuleViolation(
        quantity.fields[1],
        order_message(quantity, "Desired", desired, "above", "Maximum", high),
        Code.ABOVE_MAXIMUM,
    )
    assert check_template(*quantity.build(low, desired, high)) == [expected]


@DETERMINISTIC
@given(name=st.sampled_from(QUANTITY_NAMES), data=st.data())
def test_minimum_above_desired_gives_exactly_that_violation(name: str, data: st.DataObject) -> None:
    quantity = QUANTITIES[name]
    _, desired, high = data.draw(strict_triples(quantity.bounds))
    low = data.draw(st.integers(desired + 1, high))
    expected = RuleViolation(
        quantity.fields[1],
        order_message(quantity, "Desired", desired, "below", "Minimum", low),
        Code.BELOW_MINIMUM,
    )
    assert check_template(*quantity.build(low, desired, high)) == [expected]


@DETERMINISTIC
@given(name=st.sampled_from(QUANTITY_NAMES), data=st.data())
def test_maximum_below_minimum_adds_the_minimum_violation(name: str, data: st.DataObject) -> None:
    quantity = QUANTITIES[name]
    first, last = quantity.bounds
    low, desired, _ = data.draw(strict_triples((first + 1, last)))
    high = data.draw(st.integers(first, low - 1))
    assert check_template(*quantity.build(low, desired, high)) == [
        RuleViolation(
            quantity.fields[1],
            order_message(quantity, "Desired", desired, "above", "Maximum", high),
            Code.ABOVE_MAXIMUM,
        ),
        RuleViolation(
            quantity.fields[0],
            order_message(quantity, "Minimum", low, "above", "Maximum", high),
            Code.MINIMUM_ABOVE_MAXIMUM,
        ),
    ]


NUMERIC_LOOKING = st.one_of(
    st.from_regex(r"[ +-]?[0-9]{0,30}(\.[0-9]{0,30})?[ ]?", fullmatch=True),
    st.sampled_from(
        ["NaN", "-inf", "Infinity", "1e999999", "-0", "1_0", " 1 ", "\u0663", "0x10", "", "None"]
    ),
)
ANY_KEY = st.sampled_from([*sorted(KNOWN_KEYS), "powervm:foo", "hw:cpu_policy"])


@DETERMINISTIC
@given(
    ram_mb=st.integers(-10, 10**7),
    vcpus=st.integers(-2, 1024),
    specs=st.dictionaries(ANY_KEY, st.one_of(st.text(), NUMERIC_LOOKING), max_size=10),
)
def test_parse_raises_only_template_error(ram_mb: int, vcpus: int, specs: dict[str, str]) -> None:
    violations = check_template(ram_mb, vcpus, specs)
    if violations:
        with pytest.raises(TemplateError) as caught:
            parse_template(ram_mb, vcpus, specs)
        assert list(caught.value.violations) == violations
    else:
        assert parse_template(ram_mb, vcpus, specs).memory_mb == ram_mb


def test_in_place_resize_stays_inside_the_partition_bounds() -> None:
    tiny = {
        "powervm:min_mem": "1024",
        "powervm:max_mem": "4096",
        "powervm:proc_units": "0.25",
        "powervm:min_proc_units": "0.1",
        "powervm:max_proc_units": "0.5",
    }
    current = powervm.parse_template(2048, 1, tiny)
    grown = powervm.parse_template(4096, 1, {**tiny, "powervm:proc_units": "0.4"})
    assert powervm.in_place_resize_problem(current, grown) is None
    wider = powervm.parse_template(4096, 1, {**tiny, "powervm:max_mem": "8192"})
    assert powervm.in_place_resize_problem(current, wider) == (
        "minimum memory 1024 -> 1024 MB, maximum 4096 -> 8192 MB: a running partition keeps"
        " its memory bounds"
    )
    beyond = {**tiny, "powervm:proc_units": "0.8", "powervm:max_proc_units": "1"}
    assert powervm.in_place_resize_problem(current, powervm.parse_template(2048, 1, beyond)) == (
        "processing units 0.8 outside 0.1..0.5: dynamic LPAR stays within the partition's bounds"
    )
    dedicated = powervm.parse_template(2048, 1, {**tiny, "powervm:dedicated_proc": "true"})
    problem = powervm.in_place_resize_problem(current, dedicated)
    assert problem is not None
    assert "dedicated and shared processors differ" in problem
