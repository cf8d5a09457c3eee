"""One planning run: each concern's module called in order, what they find made a `Plan`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.model import DeploymentSpec, ServerSpec
from powerbridge.deploy.plan_model import (
    Block,
    CollocationRuleCreate,
    Create,
    Kind,
    Plan,
    ServerCreate,
    Unchanged,
    VolumeCreate,
    name_list,
)
from powerbridge.deploy.planner.addresses import address_blocks
from powerbridge.deploy.planner.capacity import host_blocks, limit_blocks, storage_blocks
from powerbridge.deploy.planner.collocation import collocation_blocks
from powerbridge.deploy.planner.findings import Findings
from powerbridge.deploy.planner.placement import Domain, Placer
from powerbridge.deploy.planner.powervm_rules import TemplateChecks
from powerbridge.deploy.planner.resolution import Resolver

__all__ = ["build_plan"]

METADATA_LIMIT = 255  # nova: a metadata key or value


def build_plan(spec: DeploymentSpec, view: CloudView) -> Plan:
    """The plan for `spec` against `view`: pure, deterministic, linear in the spec's size."""
    return _Run(spec, view).plan()


class _Run:
    """One planning run. Problems are collected as issues and blocks; nothing stops early."""

    def __init__(self, spec: DeploymentSpec, view: CloudView) -> None:
        self.spec = spec
        self.view = view
        self.findings = Findings()
        self.resolver = Resolver(spec, view, self.findings)
        self.placer = Placer(view, self.findings)
        self.templates = TemplateChecks(self.findings)
        self.server_domains: dict[str, Domain] = {}

    def plan(self) -> Plan:
        resolver, view = self.resolver, self.view
        volumes = [item for v in self.spec.volumes.values() if (item := resolver.volume(v))]
        rules = [r for r in self.spec.collocation_rules.values() if resolver.rule(r)]
        servers = [made for s in self.spec.servers if (made := self._server(s))]
        rule_creates = [
            CollocationRuleCreate(
                rule.name, rule.policy, tuple(m.name for m in resolver.rules[rule.name].members)
            )
            for rule in rules
        ]
        blocks = self.findings.blocks
        blocks.extend(_stranded_blocks(volumes, self.findings.unchanged))
        blocks.extend(host_blocks(view, servers, self.server_domains))
        blocks.extend(storage_blocks(view, volumes))
        blocks.extend(address_blocks(view, servers))
        blocks.extend(limit_blocks(view, servers))
        for rule in resolver.rules.values():
            blocks.extend(collocation_blocks(view, rule))
        creates: list[Create] = [*volumes, *rule_creates, *servers]
        unchanged = tuple(self.findings.unchanged)
        return Plan(self.spec.name, tuple(creates), unchanged, self.findings.all_blocks())

    def _server(self, server: ServerSpec) -> ServerCreate | None:
        resolver = self.resolver
        if resolver.server_exists(server):
            return None
        self._check_metadata(server)
        template = resolver.template(server)
        image = resolver.image(server, template)
        networks = resolver.networks(server)
        volumes = resolver.volumes(server)
        rule = resolver.rule_of(server)
        scg = resolver.scg(server, template)
        placement = self.placer.place(server, scg)
        check = self.templates.check(server, template, scg)
        if (
            ("server", server.name) in self.findings.failed
            or template is None
            or image is None
            or networks is None
            or volumes is None
            or placement is None
            or check is None
        ):
            return None
        create = ServerCreate(
            name=server.name,
            template=template.name,
            template_id=template.id,
            flavor=check.flavor,
            image=image.name,
            image_id=image.id,
            networks=tuple(networks),
            volumes=tuple(volumes),
            availability_zone=placement.zone,
            collocation_rule=rule.ref if rule else None,
            metadata={**server.metadata, **resolver.tag},
            user_data=server.user_data,
            memory_mb=check.memory_mb,
            proc_units=check.proc_units,
            vcpus=template.vcpus,
            hosts=placement.domain.hosts,
        )
        self.server_domains[server.name] = placement.domain
        if rule is not None:
            rule.members.append(create)
        return create

    def _check_metadata(self, server: ServerSpec) -> None:
        for key, value in server.metadata.items():
            if len(key) > METADATA_LIMIT or len(value) > METADATA_LIMIT:
                message = (
                    f"metadata {key[:40]!r}: keys and values are at most {METADATA_LIMIT}"
                    " characters (nova's limit)"
                )
                kind = Kind.SERVER
                self.findings.issue(kind, server.name, "metadata", message, "server", server.name)


def _stranded_blocks(
    volumes: Sequence[VolumeCreate], unchanged: Iterable[Unchanged]
) -> list[Block]:
    """A volume to create for a server that exists already would be left unattached."""
    existing = {item.name for item in unchanged if item.kind is Kind.SERVER}
    blocks = []
    for volume in volumes:
        stranded = tuple(name for name in volume.attach_to if name in existing)
        if stranded:
            message = (
                f"volume '{volume.name}' is missing but {name_list(stranded)} exist:"
                " volumes are attached only to servers the plan creates"
            )
            blocks.append(Block(Kind.VOLUME, volume.name, message, "missing_volume", stranded))
    return blocks
