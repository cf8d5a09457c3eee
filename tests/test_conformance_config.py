"""scripts/conformance's configuration for tempest's whole API suite: every flag that turns
tests off says why, every allowed skip names its reason and its PowerVC documentation, and
the summary counts each service apart. No tempest here: the script's pure parts only."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "conformance"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(
        "conformance_script", str(ROOT / "scripts" / "conformance")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


def _template() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((CONFORMANCE / "tempest-full.conf.template").read_text())
    return parser


def test_every_flag_that_turns_tests_off_has_a_reason(script: ModuleType) -> None:
    reasons = dict(script._flags_off(CONFORMANCE / "tempest-full.conf.template"))
    template = _template()
    off = [
        f"[{section}] {key}"
        for section in template.sections()
        if section.endswith("-feature-enabled") or section == "service_available"
        for key, value in template[section].items()
        if value == "False" and key not in template.defaults()
    ]
    # no API test needs horizon; fqdn sanitization exists above PowerVC's microversions only
    not_limits = {
        "[service_available] horizon",
        "[compute-feature-enabled] hostname_fqdn_sanitization",
    }
    unexplained = [flag for flag in off if flag not in reasons and flag not in not_limits]
    assert not unexplained, f"flags off without an '# off:' reason: {unexplained}"
    assert all(len(reason) > 20 for reason in reasons.values())


def test_full_suite_uses_dynamic_credentials_and_no_isolated_networks() -> None:
    auth = _template()["auth"]
    assert auth["use_dynamic_credentials"] == "True"
    assert auth["create_isolated_networks"] == "False"  # PowerVC has no routers


def test_every_allowed_skip_has_a_reason_and_a_documentation_tag() -> None:
    tags = set(re.findall(r"^#\s+\[(\w+)\]", (CONFORMANCE / "skips-full.txt").read_text(), re.M))
    for line in (CONFORMANCE / "skips-full.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        regex, _, reason = line.partition("#")
        re.compile(regex.strip())
        cited = re.findall(r"\[(\w+)\]", reason)
        assert reason.strip(), f"no reason: {line}"
        assert cited, f"no documentation tag: {line}"
        assert set(cited) <= tags, f"undeclared documentation tag in: {line}"


def test_summary_counts_each_service_apart(script: ModuleType) -> None:
    tests = [
        "tempest.api.compute.servers.test_a.A.test_one[id-1]",
        "tempest.api.compute.servers.test_a.A.test_two[id-2]",
        "tempest.api.volume.test_b.B.test_three[id-3]",
    ]
    results = {
        "tempest.api.compute.servers.test_a.A.test_one": ("passed", ""),
        "class:tempest.api.volume.test_b.B": ("skipped", "Cinder backup feature disabled"),
    }
    summary = script._summarise(tests, results, [(r"test_two$", "not offered")])
    services = summary.by_service()
    assert services["compute"] == {"passed": 1, "skipped": 1}
    assert services["volume"] == {"skipped": 1}
    assert summary.outcome[tests[1]] == ("skipped", "allowed skip: not offered")
