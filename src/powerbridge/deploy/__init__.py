"""Batch deployment: a spec (pipe or YAML) -> a model -> a plan (pure) -> apply.

```python
from powerbridge.deploy import build_plan, load_spec

spec = load_spec("examples/two-vms.pipe")     # SpecErrors lists every problem in the file
plan = build_plan(spec, view)                  # view: a CloudView snapshot of the cloud
for row in plan.rows():
    print(row.action, row.kind, row.name, row.details)
```

Public surface: the model (`DeploymentSpec`, `ServerSpec`, `VolumeSpec`, `NetworkSpec`,
`CollocationRuleSpec`, `DEPLOYMENT_TAG`), the formats (`load_spec`, `parse_pipe`,
`load_pipe`, `render_pipe`, `parse_yaml`, `load_yaml`, `load_schema`), the errors
(`DeployError`, `SpecErrors`, `SpecError`), the view (`CloudView`, module `cloudview`), the
planner (`build_plan`, package `planner`) and the plan it makes (`Plan` and its items, module
`plan_model`). docs/deploy-spec.md describes the formats.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.errors import DeployError, SpecError, SpecErrors
from powerbridge.deploy.model import (
    CLUSTER_TAG,
    DEPLOYMENT_TAG,
    CollocationRuleSpec,
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    VolumeSpec,
    check_deployment_name,
)
from powerbridge.deploy.pipe_format import load_pipe, parse_pipe, render_pipe
from powerbridge.deploy.plan_model import (
    Action,
    Block,
    CollocationRuleCreate,
    Kind,
    Plan,
    PlanRow,
    Ref,
    ServerCreate,
    Unchanged,
    VolumeCreate,
)
from powerbridge.deploy.planner import build_plan
from powerbridge.deploy.yaml_format import load_schema, load_yaml, parse_yaml

__all__ = [
    "CLUSTER_TAG",
    "DEPLOYMENT_TAG",
    "YAML_SUFFIXES",
    "Action",
    "Block",
    "CloudView",
    "CollocationRuleCreate",
    "CollocationRuleSpec",
    "DeployError",
    "DeploymentSpec",
    "Kind",
    "NetworkSpec",
    "Plan",
    "PlanRow",
    "Ref",
    "ServerCreate",
    "ServerSpec",
    "SpecError",
    "SpecErrors",
    "Unchanged",
    "VolumeCreate",
    "VolumeSpec",
    "build_plan",
    "check_deployment_name",
    "load_pipe",
    "load_schema",
    "load_spec",
    "load_yaml",
    "parse_pipe",
    "parse_yaml",
    "render_pipe",
]

YAML_SUFFIXES = (".yaml", ".yml")


def load_spec(path: str | os.PathLike[str], *, name: str | None = None) -> DeploymentSpec:
    """Read a spec file: YAML for `.yaml`/`.yml`, the pipe format otherwise.

    The deployment is `name` (the CLI's `--name`), else the YAML's `deployment:`, else the
    file's stem. Raises `SpecErrors` (every problem of the file) or OSError.
    """
    if PurePath(os.fspath(path)).suffix.lower() in YAML_SUFFIXES:
        return load_yaml(path, name=name)
    return load_pipe(path, name=name)
