"""Cluster spec texts and helpers for the spec tests: a minimal valid spec, parsing with a file
name, the errors a text gives."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from powerbridge.deploy.errors import SpecError, SpecErrors
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.spec import parse_cluster_spec

MINIMAL = """\
name: db
nodes: [dba, dbb]
image: PowerHA72
template: powervm.small
network: cmbnet1
service_ip: {label: db-svc, address: 192.168.100.251}
application:
  start: /opt/app/start.sh
  stop: /opt/app/stop.sh
"""


def parse(text: str, source: str = "ha.yaml") -> ClusterSpec:
    return parse_cluster_spec(textwrap.dedent(text), source=source)


def errors_of(text: str) -> list[SpecError]:
    with pytest.raises(SpecErrors) as caught:
        parse(text)
    assert caught.value.errors
    return list(caught.value.errors)


def only_error(text: str) -> SpecError:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def with_lines(text: str, **replacements: str) -> str:
    """MINIMAL with whole top-level keys replaced (key -> its YAML, "" drops the key)."""
    document = yaml.safe_load(MINIMAL)
    for key, value in replacements.items():
        if value:
            document[key] = yaml.safe_load(value)
        else:
            document.pop(key, None)
    return yaml.safe_dump(document, sort_keys=False) + text
