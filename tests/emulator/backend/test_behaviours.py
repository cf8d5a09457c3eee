"""Fault-injection behaviours: parsing and matching rules."""

from __future__ import annotations

from typing import Any

import pytest

from powerbridge.emulator.backend.behaviours import Behaviours, parse_behaviour
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.store import Store


def _rules(seed: int = 0) -> Behaviours:
    return Behaviours(Store(":memory:"), seed=seed)


class TestBehaviourParsing:
    def test_server_rule(self) -> None:
        rule = parse_behaviour(
            {
                "kind": "server",
                "mode": "fail_at",
                "name_regex": "^ha-",
                "task_state": "spawning",
                "message": "No valid host",
            }
        )
        assert (rule.kind, rule.mode, rule.task_state) == ("server", "fail_at", "spawning")
        assert rule.id
        wire = rule.to_wire()
        assert wire["name_regex"] == "^ha-"
        assert "service" not in wire  # unset fields stay off the wire

    def test_api_rule_numbers_are_normalised(self) -> None:
        rule = parse_behaviour(
            {"kind": "api", "service": "image", "latency": "0.5", "fraction": "0.25"}
        )
        assert (rule.latency, rule.fraction) == (0.5, 0.25)

    @pytest.mark.parametrize(
        ("body", "named"),
        [
            ({"kind": "server", "mode": "fail_at", "name_regex": "x", "colour": 1}, "colour"),
            ({"kind": "bogus"}, "kind"),
            ({"mode": "fail_at"}, "kind"),
            ({"kind": "server", "mode": "explode", "name_regex": "x"}, "mode"),
            ({"kind": "server", "mode": "stuck_in_build"}, "name_regex"),
            ({"kind": "server", "mode": "fail_at", "name_regex": "x"}, "task_state"),
            (
                {"kind": "server", "mode": "fail_at", "name_regex": "x", "task_state": "done"},
                "task_state",
            ),
            (
                {"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "seconds": -1},
                "seconds",
            ),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "("}, "regular expression"),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "seconds": "a"}, ""),
            ({"kind": "server", "mode": "stuck_in_build", "metadata": "x"}, "metadata"),
            ({"kind": "api", "status": 503}, "service"),
            ({"kind": "api", "service": "dns", "status": 503}, "service"),
            ({"kind": "api", "service": "compute"}, "status"),
            ({"kind": "api", "service": "compute", "status": 200}, "status"),
            ({"kind": "api", "service": "compute", "status": "503"}, "status"),
            ({"kind": "api", "service": "compute", "status": 503, "fraction": 1.5}, "fraction"),
            ({"kind": "api", "service": "compute", "latency": -1}, "latency"),
            ({"kind": "api", "service": "compute", "status": 503, "path_regex": "["}, "regular"),
            ({"kind": "api", "service": "compute", "status": 503, "times": 0}, "times"),
            ({"kind": "api", "service": "compute", "status": 503, "times": 1.5}, "times"),
            ({"kind": "api", "service": "compute", "status": 503, "times": True}, "times"),
            ({"kind": "api", "service": "compute", "latency": 1, "after_handling": True}, "status"),
            (
                {"kind": "api", "service": "compute", "status": 503, "after_handling": "yes"},
                "after_handling",
            ),
            ({"kind": "server", "mode": "stuck_in_build", "name_regex": "x", "times": 1}, "times"),
        ],
    )
    def test_invalid_rules_are_400_naming_the_field(self, body: dict[str, Any], named: str) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour(body)
        assert caught.value.status == 400
        assert named in caught.value.message

    def test_body_must_be_an_object(self) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour(["kind", "api"])  # type: ignore[arg-type]
        assert caught.value.status == 400

    def test_method_must_be_a_string(self) -> None:
        with pytest.raises(ApiError) as caught:
            parse_behaviour({"kind": "api", "service": "compute", "status": 503, "method": 5})
        assert caught.value.status == 400

    def test_method_must_be_an_http_method_and_is_kept_upper_case(self) -> None:
        rule = {"kind": "api", "service": "compute", "status": 503}
        assert parse_behaviour({**rule, "method": "post"}).method == "POST"
        with pytest.raises(ApiError) as caught:
            parse_behaviour({**rule, "method": "FETCH"})
        assert caught.value.status == 400
        assert "method" in caught.value.message

    @pytest.mark.parametrize("field", ["latency", "seconds", "fraction"])
    def test_numbers_must_be_finite(self, field: str) -> None:
        rule = {"kind": "api", "service": "compute", "status": 503, field: "nan"}
        with pytest.raises(ApiError) as caught:
            parse_behaviour(rule)
        assert caught.value.status == 400
        assert field in caught.value.message


class TestBehaviourMatching:
    def test_server_rule_by_name_regex(self) -> None:
        rules = _rules()
        rule = rules.add({"kind": "server", "mode": "active_then_error", "name_regex": "^ha-"})
        assert rules.for_server("ha-node1", {}) == rule
        assert rules.for_server("web-1", {}) is None

    def test_server_rule_by_metadata(self) -> None:
        rules = _rules()
        rule = rules.add(
            {"kind": "server", "mode": "stuck_in_build", "metadata": {"fail": "yes"}, "seconds": 9}
        )
        assert rules.for_server("any", {"fail": "yes", "other": "1"}) == rule
        assert rules.for_server("any", {"fail": "no"}) is None
        assert rules.for_server("any", {}) is None

    def test_name_and_metadata_must_both_match(self) -> None:
        rules = _rules()
        rules.add(
            {"kind": "server", "mode": "stuck_in_build", "name_regex": "db", "metadata": {"a": "1"}}
        )
        assert rules.for_server("db1", {"a": "1"}) is not None
        assert rules.for_server("db1", {}) is None
        assert rules.for_server("web", {"a": "1"}) is None

    def test_api_rules_do_not_match_servers(self) -> None:
        rules = _rules()
        rules.add({"kind": "api", "service": "compute", "status": 500})
        assert rules.for_server("anything", {}) is None

    def test_api_fault_matching(self) -> None:
        rules = _rules()
        rules.add(
            {
                "kind": "api",
                "service": "volume",
                "method": "POST",
                "path_regex": "/volumes$",
                "status": 413,
                "message": "quota",
            }
        )
        fault = rules.api_fault("volume", "POST", "/v3/p/volumes")
        assert fault is not None
        assert (fault.status, fault.message, fault.latency) == (413, "quota", 0.0)
        assert rules.api_fault("volume", "GET", "/v3/p/volumes") is None
        assert rules.api_fault("volume", "POST", "/v3/p/volumes/detail") is None
        assert rules.api_fault("compute", "POST", "/v3/p/volumes") is None

    def test_no_rules_no_faults(self) -> None:
        assert _rules().api_fault("compute", "GET", "/servers") is None

    def test_fraction_is_reproducible_with_a_seed(self) -> None:
        def pattern(seed: int) -> list[bool]:
            rules = _rules(seed)
            rules.add({"kind": "api", "service": "image", "status": 503, "fraction": 0.3})
            return [rules.api_fault("image", "GET", "/v2/images") is not None for _ in range(400)]

        first = pattern(42)
        assert first == pattern(42)
        assert 0.2 < sum(first) / len(first) < 0.4
        assert first != pattern(43)

    @pytest.mark.parametrize(("fraction", "hits"), [(0.0, 0), (1.0, 50)])
    def test_fraction_bounds(self, fraction: float, hits: int) -> None:
        rules = _rules()
        rules.add({"kind": "api", "service": "image", "status": 503, "fraction": fraction})
        assert sum(rules.api_fault("image", "GET", "/") is not None for _ in range(50)) == hits

    def test_times_limits_a_rule_to_the_next_calls_and_the_count_persists(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rule = rules.add({"kind": "api", "service": "compute", "status": 503, "times": 2})
        assert rules.api_fault("compute", "POST", "/servers") is not None
        assert Behaviours(store).list()[0].times == 1  # a restart keeps what is left
        assert rules.api_fault("compute", "POST", "/servers") is not None
        assert rules.api_fault("compute", "POST", "/servers") is None
        assert rule.to_wire()["times"] == 0  # spent, still listed
        assert Behaviours(store).api_fault("compute", "POST", "/servers") is None

    def test_after_handling_is_carried_to_the_fault_and_off_the_wire_when_unset(self) -> None:
        rules = _rules()
        plain = rules.add({"kind": "api", "service": "volume", "status": 503})
        assert "after_handling" not in plain.to_wire()
        assert "times" not in plain.to_wire()
        rules.clear()
        rules.add({"kind": "api", "service": "volume", "status": 504, "after_handling": True})
        fault = rules.api_fault("volume", "POST", "/v3/p/volumes")
        assert fault is not None
        assert (fault.status, fault.after_handling) == (504, True)

    def test_rules_persist_and_can_be_removed(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rule = rules.add({"kind": "api", "service": "network", "latency": 0.1})
        reloaded = Behaviours(store)
        assert [r.id for r in reloaded.list()] == [rule.id]
        assert reloaded.list()[0].latency == 0.1
        reloaded.remove(rule.id)
        assert Behaviours(store).list() == []
        with pytest.raises(ApiError) as caught:
            reloaded.remove(rule.id)
        assert caught.value.status == 404

    def test_clear(self) -> None:
        store = Store(":memory:")
        rules = Behaviours(store)
        rules.add({"kind": "api", "service": "network", "latency": 0.1})
        rules.add({"kind": "server", "mode": "stuck_in_build", "name_regex": "x"})
        rules.clear()
        assert rules.list() == []
        assert list(store.load("behaviour")) == []
