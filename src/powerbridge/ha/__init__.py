"""HA as a service: a PowerHA SystemMirror 7 cluster spec -> a plan -> a durable job of steps.

The API the portal (and any program) calls, importable from here: plan, create (in the
foreground, or `submit_create` for a worker's `cluster_runner`), read (`read_cluster`,
`list_clusters`), operate (`failover`, `stop_cluster`, `start_cluster`, `add_disk`,
`delete_cluster`), and access (`trust_host_key`, `cluster_inventory`):

```python
from powerbridge.ha import (
    CreateOptions, create_cluster, list_clusters, load_cluster_spec, load_identity,
    plan_cluster, read_cluster,
)

spec = load_cluster_spec("cluster.yaml")
identity = load_identity(spec.ssh.private_key, None, interactive=False)
plan = await plan_cluster(cloud, spec, public_key_fingerprint=identity.fingerprint)
job = await create_cluster(cloud, spec, store, identity, CreateOptions())
view = await read_cluster(cloud, store, spec.name, identity)   # state, status, nodes, ...
```

`model` holds the cluster spec's dataclasses, `topology` what PowerVC made of it (addresses,
disks by WWN). The spec parser, the planner, the node executor and the workflow build on them;
`status` reads a cluster now, `access` re-pins host keys and writes inventories. Names are
loaded on first use (PEP 562), so `import powerbridge.ha` imports none of them (nor asyncssh).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from powerbridge.ha.access import TrustedKey, cluster_inventory, trust_host_key
    from powerbridge.ha.add_disk import add_disk
    from powerbridge.ha.cluster_view import (
        ClusterSummary,
        ClusterView,
        DiskView,
        GroupView,
        NodeView,
        ServiceIpView,
    )
    from powerbridge.ha.create import CreateOptions, create_cluster
    from powerbridge.ha.delete import delete_cluster
    from powerbridge.ha.errors import HAError, NotACluster, PlanBlocked, StepFailed
    from powerbridge.ha.failover import failover
    from powerbridge.ha.health import Health, assess
    from powerbridge.ha.identity import Identity, IdentityError, load_identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.operations import OperationOptions
    from powerbridge.ha.plan import ClusterPlan, plan_cluster
    from powerbridge.ha.services import start_cluster, stop_cluster
    from powerbridge.ha.spec import load_cluster_spec, parse_cluster_spec
    from powerbridge.ha.status import ReadOptions, list_clusters, read_cluster
    from powerbridge.ha.submit import cluster_runner, submit_create

_EXPORTS = {
    "ClusterPlan": "plan",
    "ClusterSpec": "model",
    "ClusterSummary": "cluster_view",
    "ClusterView": "cluster_view",
    "CreateOptions": "create",
    "DiskView": "cluster_view",
    "GroupView": "cluster_view",
    "HAError": "errors",
    "Health": "health",
    "Identity": "identity",
    "IdentityError": "identity",
    "NodeView": "cluster_view",
    "NotACluster": "errors",
    "OperationOptions": "operations",
    "PlanBlocked": "errors",
    "ReadOptions": "status",
    "ServiceIpView": "cluster_view",
    "StepFailed": "errors",
    "TrustedKey": "access",
    "add_disk": "add_disk",
    "assess": "health",
    "cluster_inventory": "access",
    "cluster_runner": "submit",
    "create_cluster": "create",
    "delete_cluster": "delete",
    "failover": "failover",
    "list_clusters": "status",
    "load_cluster_spec": "spec",
    "load_identity": "identity",
    "parse_cluster_spec": "spec",
    "plan_cluster": "plan",
    "read_cluster": "status",
    "start_cluster": "services",
    "stop_cluster": "services",
    "submit_create": "submit",
    "trust_host_key": "access",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'powerbridge.ha' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"powerbridge.ha.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ClusterPlan",
    "ClusterSpec",
    "ClusterSummary",
    "ClusterView",
    "CreateOptions",
    "DiskView",
    "GroupView",
    "HAError",
    "Health",
    "Identity",
    "IdentityError",
    "NodeView",
    "NotACluster",
    "OperationOptions",
    "PlanBlocked",
    "ReadOptions",
    "ServiceIpView",
    "StepFailed",
    "TrustedKey",
    "add_disk",
    "assess",
    "cluster_inventory",
    "cluster_runner",
    "create_cluster",
    "delete_cluster",
    "failover",
    "list_clusters",
    "load_cluster_spec",
    "load_identity",
    "parse_cluster_spec",
    "plan_cluster",
    "read_cluster",
    "start_cluster",
    "stop_cluster",
    "submit_create",
    "trust_host_key",
]
