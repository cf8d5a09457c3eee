"""Drift: how a server the deployment has differs from what the spec now says, and what apply
does about it.

Compared, each from the server's own record: the compute template (its name, and the specs
nova copied when it was built, so a template of the same name whose specs changed since is
noticed), the image, the networks and their fixed IPs, and the volumes. A server whose only
difference is its compute template, within the bounds its partition started with, is resized
in place (`powervm.in_place_resize_problem`); anything else is replaced (deleted and created
again, its data volumes kept) when apply is given `--replace-changed`. Volumes attached
beyond the spec are reported and kept, never detached for good.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from powerbridge import powervm
from powerbridge.deploy.cloudview import CloudView, ComputeTemplate, FlavorCopy, Server
from powerbridge.deploy.plan_model import (
    ChangeMode,
    Difference,
    Kind,
    NetworkAttachment,
    Ref,
    ServerChange,
    ServerCreate,
    name_list,
)

__all__ = [
    "RESIZING_STATUSES",
    "extra_volumes_note",
    "server_change",
    "template_differences",
    "wanted_specs",
]

INLINE = "inline"  # the name nova's copy carries for PowerVC's inline flavors
RESIZING_STATUSES = frozenset({"RESIZE", "VERIFY_RESIZE"})
NOT_TEMPLATE_ONLY = "only a new compute template is applied in place"


def server_change(
    view: CloudView, server: Server, wanted: ServerCreate, template: ComputeTemplate
) -> ServerChange | None:
    """What apply does about `server` so that it is `wanted`; None when it already is."""
    if server.status == "BUILD":  # an interrupted run's deploy: apply waits for it
        return None
    extras = _extra_volumes(view, server, wanted.volumes)
    replacement = _with_volumes(wanted, extras)
    if server.status in RESIZING_STATUSES:  # an earlier run's resize, to see through
        return ServerChange(
            server.name,
            server.id,
            ChangeMode.CONFIRM_RESIZE,
            (),
            replacement,
            extra_volumes=extras,
            volume_ids=server.volume_ids,
        )
    template_diffs = template_differences(server.flavor, wanted, template)
    other_diffs = [
        *_image_differences(view, server, wanted),
        *_network_differences(server, wanted.networks),
        *_volume_differences(view, server, wanted.volumes),
    ]
    if not template_diffs and not other_diffs:
        return None
    differences = (*template_diffs, *other_diffs)
    why = _why_not_in_place(server, wanted, template) if not other_diffs else NOT_TEMPLATE_ONLY
    if why is None:
        return ServerChange(
            server.name,
            server.id,
            ChangeMode.RESIZE,
            differences,
            replacement,
            resize=_resize_body(server, wanted, template),
            extra_volumes=extras,
            volume_ids=server.volume_ids,
        )
    return ServerChange(
        server.name,
        server.id,
        ChangeMode.REPLACE,
        differences,
        replacement,
        why_replace=why,
        extra_volumes=extras,
        volume_ids=server.volume_ids,
    )


def wanted_specs(
    wanted: ServerCreate, template: ComputeTemplate
) -> tuple[int, int, int, dict[str, str]]:
    """Memory, virtual processors, disk and extra specs the spec asks for."""
    if wanted.flavor is not None:
        flavor = wanted.flavor
        specs = {str(k): str(v) for k, v in (flavor.get("extra_specs") or {}).items()}
        return int(flavor["ram"]), int(flavor["vcpus"]), int(flavor.get("disk", 0)), specs
    return template.ram_mb, template.vcpus, template.disk_gb, dict(template.extra_specs)


def template_differences(
    current: FlavorCopy | None, wanted: ServerCreate, template: ComputeTemplate
) -> list[Difference]:
    if current is None:  # the cloud showed no copy: nothing to compare against
        return []
    diffs = []
    named = current.name not in (None, INLINE) and wanted.flavor is None
    if named and current.name != template.name:
        diffs.append(Difference("compute template", str(current.name), template.name))
    ram, vcpus, disk, specs = wanted_specs(wanted, template)
    for what, was, now in (
        ("memory (MB)", current.ram_mb, ram),
        ("virtual processors", current.vcpus, vcpus),
        ("disk (GB)", current.disk_gb, disk),
    ):
        if was != now:
            diffs.append(Difference(what, str(was), str(now)))
    if diffs and diffs[0].what == "compute template":  # another template: its sizes say enough
        return diffs
    for key in sorted(set(current.extra_specs) | set(specs)):
        was_text, now_text = current.extra_specs.get(key), specs.get(key)
        if was_text != now_text:
            diffs.append(Difference(key, was_text or "unset", now_text or "unset"))
    return diffs


def _image_differences(view: CloudView, server: Server, wanted: ServerCreate) -> list[Difference]:
    if server.image_id is None or server.image_id == wanted.image_id:
        return []
    image = view.image_index.by_id(server.image_id)
    return [Difference("image", image.name if image else server.image_id, wanted.image)]


def _network_differences(server: Server, wanted: Sequence[NetworkAttachment]) -> list[Difference]:
    have = Counter(network for network, _ in server.networks)
    want = Counter(item.network for item in wanted)
    if have != want:
        return [Difference("networks", _counted(have), _counted(want))]
    diffs = []
    for item in wanted:
        addresses = [addr for network, addr in server.networks if network == item.network]
        if item.fixed_ip is not None and item.fixed_ip not in addresses:
            was = ", ".join(addresses) or "none"
            diffs.append(Difference(f"fixed IP on {item.network}", was, item.fixed_ip))
    return diffs


def _volume_differences(view: CloudView, server: Server, wanted: Sequence[Ref]) -> list[Difference]:
    missing = [ref.name for ref in wanted if ref.id is None or ref.id not in server.volume_ids]
    if not missing:
        return []
    attached = [_volume_name(view, volume_id) for volume_id in server.volume_ids]
    wanted_names = [ref.name for ref in wanted]
    return [
        Difference("volumes", ", ".join(attached) or "none", ", ".join(wanted_names) + " attached")
    ]


def _extra_volumes(view: CloudView, server: Server, wanted: Sequence[Ref]) -> tuple[Ref, ...]:
    """Volumes attached to `server` that the spec does not name: kept, never detached."""
    named = {ref.id for ref in wanted if ref.id is not None}
    return tuple(
        Ref(Kind.VOLUME, _volume_name(view, volume_id), volume_id)
        for volume_id in server.volume_ids
        if volume_id not in named
    )


def extra_volumes_note(view: CloudView, server: Server, wanted: Sequence[Ref]) -> str:
    """What an unchanged server has attached beyond the spec, for its plan row ("" if none)."""
    extras = _extra_volumes(view, server, wanted)
    if not extras:
        return ""
    return "; also attached, not in the spec (kept): " + name_list([ref.name for ref in extras])


def _with_volumes(wanted: ServerCreate, extras: tuple[Ref, ...]) -> ServerCreate:
    """The replacement: the spec's server, the extra volumes attached too (so none is lost)."""
    if not extras:
        return wanted
    return replace(wanted, volumes=(*wanted.volumes, *extras))


def _why_not_in_place(
    server: Server, wanted: ServerCreate, template: ComputeTemplate
) -> str | None:
    """Why the new template cannot be applied by a resize, or None when it can."""
    if server.flavor is None:
        return "the cloud did not show the server's compute template"
    if server.status not in ("ACTIVE", "SHUTOFF"):
        return f"the server is {server.status}"
    current = server.flavor
    try:
        before = powervm.parse_template(current.ram_mb, current.vcpus, current.extra_specs)
    except powervm.TemplateError:
        return "the server's current compute template breaks PowerVM rules"
    ram, vcpus, _, specs = wanted_specs(wanted, template)
    after = powervm.parse_template(ram, vcpus, specs)  # checked by the planner already
    return powervm.in_place_resize_problem(before, after)


def _resize_body(server: Server, wanted: ServerCreate, template: ComputeTemplate) -> dict[str, Any]:
    """The `resize` action: another template by reference; overrides, or the same template
    whose specs changed since (nova refuses a resize to the flavor a server has), inline."""
    current = server.flavor.name if server.flavor is not None else None
    if wanted.flavor is None and current != template.name:
        return {"resize": {"flavorRef": wanted.template_id}}
    ram, vcpus, disk, specs = wanted_specs(wanted, template)
    return {"resize": {"flavor": {"ram": ram, "vcpus": vcpus, "disk": disk, "extra_specs": specs}}}


def _counted(networks: Counter[str]) -> str:
    return (
        ", ".join(
            name if count == 1 else f"{name} x{count}" for name, count in sorted(networks.items())
        )
        or "none"
    )


def _volume_name(view: CloudView, volume_id: str) -> str:
    volume = view.volume_index.by_id(volume_id)
    return volume.name if volume is not None and volume.name else volume_id
