"""One planning run: each concern's module called in order, what they find made a `Plan`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from powerbridge.deploy.cloudview import (
    CloudView,
    ComputeTemplate,
    Image,
    StorageConnectivityGroup,
)
from powerbridge.deploy.model import DeploymentSpec, ServerSpec
from powerbridge.deploy.plan_model import (
    Block,
    ChangeMode,
    CollocationRuleCreate,
    Create,
    Kind,
    NetworkAttachment,
    Plan,
    Ref,
    ServerChange,
    ServerCreate,
    Unchanged,
    VolumeCreate,
    name_list,
)
from powerbridge.deploy.planner.addresses import address_blocks
from powerbridge.deploy.planner.capacity import host_blocks, limit_blocks, storage_blocks
from powerbridge.deploy.planner.collocation import collocation_blocks
from powerbridge.deploy.planner.connectivity import reach_blocks
from powerbridge.deploy.planner.drift import (
    RESIZING_STATUSES,
    extra_volumes_note,
    server_change,
    template_differences,
)
from powerbridge.deploy.planner.findings import Findings
from powerbridge.deploy.planner.placement import Domain, Placer
from powerbridge.deploy.planner.powervm_rules import TemplateCheck, TemplateChecks
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
        self.server_scgs: dict[str, StorageConnectivityGroup] = {}

    def plan(self) -> Plan:
        resolver, view = self.resolver, self.view
        volumes = [item for v in self.spec.volumes.values() if (item := resolver.volume(v))]
        rules = [r for r in self.spec.collocation_rules.values() if resolver.rule(r)]
        servers = [made for s in self.spec.servers if (made := self._server(s))]
        changes = [found for s in self.spec.servers if (found := self._existing(s))]
        rule_creates = [
            CollocationRuleCreate(
                rule.name, rule.policy, tuple(m.name for m in resolver.rules[rule.name].members)
            )
            for rule in rules
        ]
        blocks = self.findings.blocks
        blocks.extend(_stranded_blocks(volumes, resolver.existing_servers))
        blocks.extend(host_blocks(view, servers, self.server_domains))
        blocks.extend(storage_blocks(view, volumes))
        blocks.extend(address_blocks(view, servers))
        blocks.extend(reach_blocks(view, servers, volumes, self.server_scgs))
        blocks.extend(limit_blocks(view, servers))
        for rule in resolver.rules.values():
            blocks.extend(collocation_blocks(view, rule))
        creates: list[Create] = [*volumes, *rule_creates, *servers]
        unchanged = tuple(self.findings.unchanged)
        blocked = self.findings.all_blocks()
        return Plan(self.spec.name, tuple(creates), unchanged, blocked, tuple(changes))

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
        create = self._create(server, template, image, networks, volumes, check, placement.zone)
        create = replace(create, hosts=placement.domain.hosts)
        self.server_domains[server.name] = placement.domain
        if scg is not None:
            self.server_scgs[server.name] = scg
        if rule is not None:
            rule.members.append(create)
        return create

    def _existing(self, server: ServerSpec) -> ServerChange | None:
        """A server the deployment has: unchanged, or how it differs from the spec (drift)."""
        found = self.resolver.existing_servers.get(server.name)
        if found is None:
            return None
        resolver = self.resolver
        template = resolver.template(server)
        image = resolver.image_of(server)
        networks = resolver.networks(server, own=found)
        volumes = resolver.volumes(server, own_id=found.id)
        scg = resolver.scg(server, template)
        check = self.templates.check(server, template, scg)
        if template is None or image is None or networks is None or volumes is None:
            return None
        if check is None or ("server", server.name) in self.findings.failed:
            return None
        wanted = self._create(server, template, image, networks, volumes, check, None)
        if found.status in RESIZING_STATUSES and template_differences(
            found.flavor, wanted, template
        ):
            message = (
                f"server '{server.name}' is resizing to another compute template than the spec"
                " asks for; confirm or revert that resize in PowerVC, then plan again"
            )
            self.findings.issue(
                Kind.SERVER, server.name, "resizing", message, "server", server.name
            )
            return None
        change = server_change(self.view, found, wanted, template)
        if change is None:
            details = found.status + (f" on {found.host}" if found.host else "")
            details += extra_volumes_note(self.view, found, wanted.volumes)
            self.findings.unchanged.append(Unchanged(Kind.SERVER, server.name, found.id, details))
            return None
        if change.mode is ChangeMode.REPLACE:  # created anew: placed as a new server is
            placement = self.placer.place(server, scg)
            if placement is None:
                return None
            zone = placement.zone
            change = replace(
                change, replacement=replace(change.replacement, availability_zone=zone)
            )
        return change

    def _create(
        self,
        server: ServerSpec,
        template: ComputeTemplate,
        image: Image,
        networks: list[NetworkAttachment],
        volumes: list[Ref],
        check: TemplateCheck,
        zone: str | None,
    ) -> ServerCreate:
        rule = self.resolver.rule_of(server) if server.collocation_rule else None
        return ServerCreate(
            name=server.name,
            template=template.name,
            template_id=template.id,
            flavor=check.flavor,
            image=image.name,
            image_id=image.id,
            networks=tuple(networks),
            volumes=tuple(volumes),
            availability_zone=zone,
            collocation_rule=rule.ref if rule else None,
            metadata={**server.metadata, **self.resolver.tag},
            user_data=server.user_data,
            user_data_text=server.user_data_text,
            memory_mb=check.memory_mb,
            proc_units=check.proc_units,
            vcpus=template.vcpus,
            key_name=server.key_name,
        )

    def _check_metadata(self, server: ServerSpec) -> None:
        for key, value in server.metadata.items():
            if len(key) > METADATA_LIMIT or len(value) > METADATA_LIMIT:
                message = (
                    f"metadata {key[:40]!r}: keys and values are at most {METADATA_LIMIT}"
                    " characters (nova's limit)"
                )
                kind = Kind.SERVER
                self.findings.issue(kind, server.name, "metadata", message, "server", server.name)


def _stranded_blocks(volumes: Sequence[VolumeCreate], existing: Iterable[str]) -> list[Block]:
    """A volume to create for a server that exists already would be left unattached."""
    existing = set(existing)
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
