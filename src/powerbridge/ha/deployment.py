"""A cluster spec as the batch deployment that makes its PowerVC side: the nodes, the
repository and data volumes every node attaches, and the anti-affinity rule.

The deployment is tagged `CLUSTER_TAG=<cluster>` (its `owner_tag`), so `deploy` commands never
take it for one of theirs, and named after the cluster. Volume names carry their role
(`<cluster>-repository`, `<cluster>-repository-backup`, `<cluster>-data-<i>`): the workflow
reads the roles back from them.
"""

from __future__ import annotations

from collections.abc import Sequence

from powerbridge.deploy.model import (
    CLUSTER_TAG,
    CollocationRuleSpec,
    DeploymentSpec,
    NetworkSpec,
    ServerSpec,
    VolumeSpec,
)
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.user_data import cloud_config

__all__ = [
    "backup_repository_name",
    "data_volume_names",
    "repository_name",
    "rule_policy",
    "service_port_name",
    "to_deployment",
]


def repository_name(cluster: str) -> str:
    return f"{cluster}-repository"


def backup_repository_name(cluster: str) -> str:
    return f"{cluster}-repository-backup"


def data_volume_names(spec: ClusterSpec) -> tuple[str, ...]:
    return tuple(f"{spec.name}-data-{i}" for i in range(1, spec.shared_storage.count + 1))


def service_port_name(cluster: str) -> str:
    """The Neutron port that reserves the service address."""
    return f"{cluster}-service-ip"


def rule_policy(spec: ClusterSpec) -> str:
    """The policy of the collocation rule the workflow creates for the nodes."""
    return "anti-affinity" if spec.anti_affinity == "hard" else "soft-anti-affinity"


def to_deployment(spec: ClusterSpec, authorized_keys: Sequence[str] = ()) -> DeploymentSpec:
    """The batch deployment of `spec`'s nodes, shared volumes and collocation rule; the nodes
    get `authorized_keys` through cloud-config user data besides the key pair's key.

    Raises ValueError when a size cannot name a volume (the planner checks sizes first)."""
    volumes = _volumes(spec)
    user_data = cloud_config(authorized_keys)
    placement = spec.placement
    servers = tuple(
        ServerSpec(
            name=node.name,
            template=spec.template,
            image=spec.image,
            networks=(NetworkSpec(spec.network, node.fixed_ip),),
            volumes=tuple(volumes),
            host_group=placement.host_group,
            storage_connectivity_group=placement.storage_connectivity_group,
            collocation_rule=spec.rule_name,
            powervm=spec.powervm,
            key_name=spec.ssh.key_pair,
            user_data_text=user_data,
            line=spec.line_of(f"nodes.{index}"),
        )
        for index, node in enumerate(spec.nodes)
    )
    rules = {}
    if spec.collocation_rule is None:
        rules[spec.rule_name] = CollocationRuleSpec(spec.rule_name, rule_policy(spec))
    return DeploymentSpec(
        name=spec.name,
        servers=servers,
        volumes=volumes,
        collocation_rules=rules,
        source=spec.source,
        owner_tag=CLUSTER_TAG,
    )


def _volumes(spec: ClusterSpec) -> dict[str, VolumeSpec]:
    repository, shared = spec.repository, spec.shared_storage
    about = f"PowerHA cluster {spec.name}"
    made = [
        VolumeSpec(
            repository_name(spec.name),
            repository.size_gb,
            repository.storage_template,
            shared=True,
            description=f"CAA repository disk of {about}",
        )
    ]
    if repository.backup:
        made.append(
            VolumeSpec(
                backup_repository_name(spec.name),
                repository.size_gb,
                repository.storage_template,
                shared=True,
                description=f"backup CAA repository disk of {about}",
            )
        )
    made += [
        VolumeSpec(
            name,
            shared.size_gb,
            shared.storage_template,
            shared=True,
            description=f"shared data volume of {about} ({shared.volume_group})",
        )
        for name in data_volume_names(spec)
    ]
    return {volume.name: volume for volume in made}
