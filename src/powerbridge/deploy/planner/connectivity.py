"""Storage connectivity: a server on a storage connectivity group can attach only volumes
(new ones, and existing ones such as a shared disk) on the storage providers that group
reaches, which PowerVC lists as the group's storage templates; otherwise the deploy fails in
the scheduler with "No valid host"."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from powerbridge.deploy.cloudview import CloudView, StorageConnectivityGroup
from powerbridge.deploy.plan_model import Block, Kind, Ref, ServerCreate, VolumeCreate, name_list

__all__ = ["reach_blocks"]


def reach_blocks(
    view: CloudView,
    servers: Sequence[ServerCreate],
    volumes: Sequence[VolumeCreate],
    scgs: Mapping[str, StorageConnectivityGroup],
) -> Iterator[Block]:
    """A block per (group, storage template) the group does not reach, naming its servers."""
    by_name = {volume.name: volume for volume in volumes}
    unreached: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for server in servers:
        scg = scgs.get(server.name)
        if scg is None or scg.storage_templates is None:
            continue
        for ref in server.volumes:
            template = _template_of(view, ref, by_name)
            if template is None or template in scg.storage_templates:
                continue
            names, volume_names = unreached.setdefault((scg.id, template), ([], []))
            if server.name not in names:
                names.append(server.name)
            if ref.name not in volume_names:
                volume_names.append(ref.name)
    for (_, template_id), (names, volume_names) in unreached.items():
        scg = scgs[names[0]]
        yield Block(
            Kind.STORAGE_CONNECTIVITY_GROUP,
            scg.name,
            _message(view, scg, template_id, names, volume_names),
            "scg_storage",
            tuple(names),
        )


def _template_of(view: CloudView, ref: Ref, new: Mapping[str, VolumeCreate]) -> str | None:
    """The storage template id of a volume to create, or of an existing one (by the volume
    type cinder shows, a name or an id); None when unknown."""
    if ref.name in new:
        return new[ref.name].storage_template_id
    existing = view.volume_index.by_id(ref.id) if ref.id else None
    if existing is None or existing.storage_template is None:
        return None
    found = view.storage_template_index.find(existing.storage_template)
    return found[0].id if len(found) == 1 else None


def _message(
    view: CloudView,
    scg: StorageConnectivityGroup,
    template_id: str,
    servers: list[str],
    volumes: list[str],
) -> str:
    template = view.storage_template_index.by_id(template_id)
    label = f"'{template.name}'" if template else template_id
    provider = f" (provider {template.provider})" if template and template.provider else ""
    reached = sorted(
        f"'{item.name}'"
        for item in view.storage_templates
        if scg.storage_templates is not None and item.id in scg.storage_templates
    )
    noun = "server" + ("s" if len(servers) > 1 else "")
    return (
        f"{noun} {name_list(servers)}: storage connectivity group '{scg.name}' does not reach"
        f" storage template {label}{provider} of {name_list(volumes)}; it reaches"
        f" {', '.join(reached) or 'no storage template'}: put the volumes on one of those,"
        " or deploy through a storage connectivity group that reaches"
        f" {template.provider if template and template.provider else 'that storage'}"
    )
