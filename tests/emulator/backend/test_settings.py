"""instance_name_template as nova applies it, and the problems a configuration file can have."""

from __future__ import annotations

from powerbridge.emulator.backend.settings import NovaSettings, instance_name, template_problem

UUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def test_named_and_positional_templates_as_nova_applies_them() -> None:
    assert instance_name("%(display_name)s-%(uuid).2s", "db1", UUID, 7) == "db1-3f"
    assert instance_name("instance-%08x", "db1", UUID, 26) == "instance-0000001a"
    assert instance_name("%(name)s-%(id)04d", "db1", UUID, 7) == "db1-0007"
    assert instance_name("fixed", "db1", UUID, 7) == "fixed"


def test_a_bad_template_says_why() -> None:
    assert template_problem("%(display_name)s-%(uuid).2s") is None
    assert template_problem("instance-%08x") is None
    assert template_problem("%(hostname)s") == (
        "'%(hostname)s' names the unknown key 'hostname'; the keys are display_name, name, "
        "uuid, seq, id"
    )
    problem = template_problem("%(display_name)")
    assert problem is not None
    assert problem.startswith("'%(display_name)' is not a valid template")


def test_a_hosts_own_template_wins_for_that_host_only() -> None:
    settings = NovaSettings("%(display_name)s", {"8286-42A_215A0BV": "%(uuid).2s"})
    assert settings.template_for("8286-42A_215A0BV") == "%(uuid).2s"
    assert settings.template_for("8286-42A_215A0CV") == "%(display_name)s"
    assert settings.template_for(None) == "%(display_name)s"
