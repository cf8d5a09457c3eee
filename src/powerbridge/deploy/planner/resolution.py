"""Identity and names: what the deployment has already, and each name of the spec as an id.

A server or volume of the spec's name tagged with this deployment is unchanged; one tagged
otherwise (or not at all) is a conflict. A name resolves when exactly one resource has it (or
it is an id); an unknown name suggests the closest known one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from powerbridge.deploy.cloudview import (
    CloudView,
    ComputeTemplate,
    Image,
    Index,
    Named,
    Server,
    StorageConnectivityGroup,
)
from powerbridge.deploy.cloudview import Volume as ExistingVolume
from powerbridge.deploy.model import (
    CLUSTER_TAG,
    DEPLOYMENT_TAG,
    CollocationRuleSpec,
    DeploymentSpec,
    ServerSpec,
    VolumeSpec,
)
from powerbridge.deploy.plan_model import (
    Block,
    Kind,
    NetworkAttachment,
    Ref,
    Unchanged,
    VolumeCreate,
)
from powerbridge.deploy.planner.addresses import fixed_ip_problem
from powerbridge.deploy.planner.collocation import Rule
from powerbridge.deploy.planner.findings import Findings, plural
from powerbridge.deploy.planner.powervm_rules import SCG_KEY
from powerbridge.names import closest

__all__ = ["Resolver", "resolve"]

T = TypeVar("T", bound=Named)


def resolve(
    findings: Findings, index: Index[T], kind: Kind, ref: str, subject: str, affected: str
) -> T | None:
    """The one resource `ref` names, else None with an issue for `affected`."""
    found = index.find(ref)
    if len(found) == 1:
        return found[0]
    if not found:
        message = f"unknown {kind.label} '{ref}'{_suggest(ref, index.names())}"
        findings.issue(kind, ref, "unknown_name", message, subject, affected)
    else:
        ids = ", ".join(str(getattr(item, "id", item.name)) for item in found)
        message = f"{len(found)} {kind.label}s are named '{ref}' ({ids}); use an id"
        findings.issue(kind, ref, "ambiguous_name", message, subject, affected)
    return None


class Resolver:
    """The spec's volumes, rules and servers against the view, recording what it finds."""

    def __init__(self, spec: DeploymentSpec, view: CloudView, findings: Findings) -> None:
        self.spec = spec
        self.view = view
        self.findings = findings
        self.tag = {spec.owner_tag: spec.name}
        self.users = spec.users_of()
        self.volume_refs: dict[str, Ref] = {}
        self.existing_volumes: dict[str, ExistingVolume] = {}
        self.existing_servers: dict[str, Server] = {}  # this deployment's, to compare
        self.rules: dict[str, Rule] = {}

    def _ours(self, metadata: Mapping[str, str]) -> bool:
        return metadata.get(self.spec.owner_tag) == self.spec.name

    # -- volumes and rules -------------------------------------------------------------------

    def volume(self, volume: VolumeSpec) -> VolumeCreate | None:
        existing = self.view.volume_index.named(volume.name)
        ours = [item for item in existing if self._ours(item.metadata)]
        if ours:
            self._existing_volume(volume, ours[0])
            return None
        if existing:
            message = f"a volume named '{volume.name}' exists ({existing[0].id}) and"
            message += f" {_owner(existing[0].metadata)}"
            self.findings.issue(
                Kind.VOLUME, volume.name, "conflict", message, "volume", volume.name
            )
            return None
        template = self.view.default_storage_template
        if volume.storage_template is not None:
            template = resolve(
                self.findings,
                self.view.storage_template_index,
                Kind.STORAGE_TEMPLATE,
                volume.storage_template,
                "volume",
                volume.name,
            )
            if template is None:
                return None
        self.volume_refs[volume.name] = Ref(Kind.VOLUME, volume.name)
        return VolumeCreate(
            name=volume.name,
            size_gb=volume.size_gb,
            storage_template=template.name if template else None,
            storage_template_id=template.id if template else None,
            provider=template.provider if template else None,
            shared=volume.shared,
            description=volume.description,
            metadata=dict(self.tag),
            attach_to=self.users.get(volume.name, ()),
        )

    def _existing_volume(self, volume: VolumeSpec, found: ExistingVolume) -> None:
        details = f"{found.size_gb} GB, {found.status}"
        if found.size_gb != volume.size_gb:
            details += f" (the spec says {volume.size_gb} GB; sizes are not changed)"
        self.findings.unchanged.append(Unchanged(Kind.VOLUME, volume.name, found.id, details))
        self.volume_refs[volume.name] = Ref(Kind.VOLUME, volume.name, found.id)
        self.existing_volumes[volume.name] = found

    def rule(self, rule: CollocationRuleSpec) -> bool:
        """Whether the rule must be created (else it is reused, or it blocks)."""
        existing = self.view.rule_index.named(rule.name)
        same = [item for item in existing if item.policy == rule.policy]
        if len(same) == 1:
            found = same[0]
            details = f"{found.policy}, {plural(len(found.members), 'member')}"
            unchanged = Unchanged(Kind.COLLOCATION_RULE, rule.name, found.id, details)
            self.findings.unchanged.append(unchanged)
            ref = Ref(Kind.COLLOCATION_RULE, rule.name, found.id)
            self.rules[rule.name] = Rule(ref, rule.policy, found)
            return False
        if existing:
            policies = ", ".join(sorted({item.policy for item in existing}))
            message = f"collocation rule '{rule.name}' exists with policy {policies}"
            message += f", not {rule.policy}" if not same else f" {len(same)} times"
            block = Block(Kind.COLLOCATION_RULE, rule.name, message, "conflict")
            self.findings.blocks.append(block)
            return False
        self.rules[rule.name] = Rule(Ref(Kind.COLLOCATION_RULE, rule.name), rule.policy)
        return True

    # -- servers -----------------------------------------------------------------------------

    def server_exists(self, server: ServerSpec) -> bool:
        """A server of that name exists: this deployment's (kept in `existing_servers`, to be
        compared with the spec), else a conflict."""
        existing = self.view.server_index.named(server.name)
        if not existing:
            return False
        ours = [item for item in existing if self._ours(item.metadata)]
        if ours:
            found = ours[0]
            if found.status == "ERROR":  # not up to date: a failed deploy left it
                message = (
                    f"server '{server.name}' ({found.id}) of this deployment is in ERROR;"
                    f" delete it (powerbridge server delete {found.id}) and apply again to"
                    " deploy it anew"
                )
                self._server_issue(server, Kind.SERVER, server.name, "in_error", message)
                return True
            self.existing_servers[server.name] = found  # unchanged or changed: see drift
            return True
        message = f"a server named '{server.name}' exists ({existing[0].id}) and"
        message += f" {_owner(existing[0].metadata)}"
        self._server_issue(server, Kind.SERVER, server.name, "conflict", message)
        return True

    def template(self, server: ServerSpec) -> ComputeTemplate | None:
        index = self.view.template_index
        return self._resolve(server, index, Kind.COMPUTE_TEMPLATE, server.template)

    def image(self, server: ServerSpec, template: ComputeTemplate | None) -> Image | None:
        image = self._resolve(server, self.view.image_index, Kind.IMAGE, server.image)
        if image is None:
            return None
        if image.status != "active":
            message = f"image '{image.name}' is {image.status}, not active"
            self._server_issue(server, Kind.IMAGE, image.name, "image_status", message)
        if template and template.disk_gb and template.disk_gb < image.min_disk_gb:
            message = (
                f"compute template '{template.name}' has a {template.disk_gb} GB disk; image"
                f" '{image.name}' needs at least {image.min_disk_gb} GB"
            )
            self._server_issue(server, Kind.IMAGE, image.name, "disk_too_small", message)
        return image

    def image_of(self, server: ServerSpec) -> Image | None:
        """The image by name alone: an existing server's image need not be deployable now."""
        return self._resolve(server, self.view.image_index, Kind.IMAGE, server.image)

    def networks(
        self, server: ServerSpec, own: Server | None = None
    ) -> list[NetworkAttachment] | None:
        """The server's networks; a fixed IP `own` (the server as it exists) holds is its own,
        not taken."""
        if not server.networks:
            self._server_issue(server, Kind.SERVER, server.name, "no_network", "no network given")
            return None
        attachments = []
        for item in server.networks:
            network = self._resolve(server, self.view.network_index, Kind.NETWORK, item.name)
            if network is not None:
                held = own is not None and (network.name, item.fixed_ip) in own.networks
                problem = None if held else fixed_ip_problem(network, item.fixed_ip, self.view)
                if problem is not None:
                    self._server_issue(server, Kind.NETWORK, network.name, "fixed_ip", problem)
                attachments.append(NetworkAttachment(network.name, network.id, item.fixed_ip))
        return attachments if len(attachments) == len(server.networks) else None

    def volumes(self, server: ServerSpec, own_id: str | None = None) -> list[Ref] | None:
        """The server's volumes; one attached to `own_id` (the server itself) is not in use."""
        refs = []
        for name in server.volumes:
            existing = self.existing_volumes.get(name)
            others = [sid for sid in existing.attachments if sid != own_id] if existing else []
            if existing and others and not existing.multiattach:
                message = (
                    f"volume '{name}' is attached to {', '.join(others)} and is not multiattach"
                )
                self._server_issue(server, Kind.VOLUME, name, "volume_in_use", message)
            ref = self.volume_refs.get(name)
            if ref is not None:
                refs.append(ref)
        # A volume without a ref is blocked already; the server waits for it.
        return refs if len(refs) == len(server.volumes) else None

    def rule_of(self, server: ServerSpec) -> Rule | None:
        name = server.collocation_rule
        if name is None:
            return None
        rule = self.rules.get(name)
        if rule is not None or name in self.spec.collocation_rules:
            if rule is None:  # the spec's rule blocks already: the server waits for it
                self.findings.failed.add(("server", server.name))
            return rule
        found = self._resolve(server, self.view.rule_index, Kind.COLLOCATION_RULE, name)
        if found is None:
            return None
        ref = Ref(Kind.COLLOCATION_RULE, found.name, found.id)
        rule = self.rules[name] = Rule(ref, found.policy, found)
        return rule

    def scg(
        self, server: ServerSpec, template: ComputeTemplate | None
    ) -> StorageConnectivityGroup | None:
        """The server's SCG: its own, else its overrides', else its template's (or none)."""
        ref = server.storage_connectivity_group or server.powervm.get(SCG_KEY)
        if ref is None and template is not None:
            ref = template.extra_specs.get(SCG_KEY) or None
        if ref is None:
            return None
        return self._resolve(server, self.view.scg_index, Kind.STORAGE_CONNECTIVITY_GROUP, ref)

    def _resolve(self, server: ServerSpec, index: Index[T], kind: Kind, ref: str) -> T | None:
        return resolve(self.findings, index, kind, ref, "server", server.name)

    def _server_issue(
        self, server: ServerSpec, kind: Kind, name: str, code: str, message: str
    ) -> None:
        self.findings.issue(kind, name, code, message, "server", server.name)


def _suggest(ref: str, known: Iterable[str]) -> str:
    close = closest(ref, known)
    return f"; did you mean '{close}'?" if close else ""


def _owner(metadata: Mapping[str, str]) -> str:
    if cluster := metadata.get(CLUSTER_TAG):
        return f"belongs to HA cluster '{cluster}'"
    owner = metadata.get(DEPLOYMENT_TAG)
    return f"belongs to deployment '{owner}'" if owner else f"has no {DEPLOYMENT_TAG} tag"
