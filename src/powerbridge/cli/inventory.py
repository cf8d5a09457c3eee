"""Inventory commands: `image`, `template`, `network`, `storage-template`, `scg`, `host`,
`host-group`, each with `list` and `show NAME_OR_ID`.

Each kind is described once (`Kind`: how to fetch all, how to find one, its table row and its
record) and `kind_app` makes its two commands. `--format json|yaml` prints the SDK records
whole; the table shows the columns people look at, with compute templates' `powervm:*` specs
in words and hosts' usage as used/total.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.output import OutputFormat, render

if TYPE_CHECKING:
    from powerbridge.client import (
        Cloud,
        ComputeTemplate,
        Host,
        HostGroup,
        Image,
        Network,
        StorageConnectivityGroup,
        StorageTemplate,
        Subnet,
    )
    from powerbridge.powervm import PowerVMSpec

Row = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    name: str  # as in messages: "compute template"
    help: str
    columns: list[str]
    fetch_all: Callable[[Cloud], Awaitable[list[Any]]]
    find: Callable[[Cloud, str], Awaitable[Any]]
    row: Callable[[Any], Row]
    record: Callable[[Any], Row]
    data: Callable[[Any], Row] = lambda item: item.to_dict()


def kind_app(kind: Kind) -> typer.Typer:
    """A command group with `list` and `show` for one kind of resource."""
    app = typer.Typer(help=kind.help, no_args_is_help=True, rich_markup_mode=None)

    @command(app, "list")
    def list_items(cloud: CloudArgs, output_format: FormatOption = OutputFormat.table) -> None:
        items = run(cloud, kind.fetch_all)
        if output_format is not OutputFormat.table:
            render([kind.data(item) for item in items], output_format)
            return
        render([kind.row(item) for item in items], output_format, columns=kind.columns)

    list_items.__doc__ = f"List {kind.name}s."

    @command(app, "show")
    def show_item(
        cloud: CloudArgs,
        name: Annotated[str, typer.Argument(help="Name or id.", metavar="NAME_OR_ID")],
        output_format: FormatOption = OutputFormat.table,
    ) -> None:
        async def work(c: Cloud) -> Any:
            return await kind.find(c, name)

        item = run(cloud, work)
        if output_format is not OutputFormat.table:
            render(kind.data(item), output_format)
            return
        render(kind.record(item), output_format, title=f"{kind.name} {name}")

    show_item.__doc__ = f"Show one {kind.name} (by name or id)."
    return app


# -- images -----------------------------------------------------------------------------------
def image_row(image: Image) -> Row:
    os = " ".join(p for p in (image.os_distro, image.os_version) if p)
    return {
        "name": image.name,
        "id": image.id,
        "status": image.status,
        "os": os,
        "min_disk_gb": image.min_disk,
        "size_gb": round(image.size / 2**30, 1) if image.size else "",
    }


def image_record(image: Image) -> Row:
    return {
        **image_row(image),
        "visibility": image.visibility or "",
        "disk_format": image.disk_format or "",
        "architecture": image.architecture or "",
        **dict(sorted(image.properties.items())),
    }


async def _images(c: Cloud) -> list[Any]:
    return list(await c.image.images())


async def _find_image(c: Cloud, name: str) -> Any:
    return await c.image.find_image(name)


IMAGES = Kind(
    "image",
    "Images VMs deploy from.",
    ["name", "id", "status", "os", "min_disk_gb", "size_gb"],
    _images,
    _find_image,
    image_row,
    image_record,
)


# -- compute templates ------------------------------------------------------------------------
def _range(value: Any, low: Any, high: Any, unit: str = "") -> str:
    return f"{value}{unit} ({low}-{high})"


def template_row(template: ComputeTemplate) -> Row:
    spec = template.powervm
    row: Row = {"name": template.name, "id": template.id}
    if spec is None:
        row.update(
            memory_mb=template.ram,
            vcpus=template.vcpus,
            proc_units="",
            disk_gb=template.disk,
            valid="no: " + "; ".join(v.message for v in template.violations),
        )
        return row
    row.update(
        memory_mb=_range(spec.memory_mb, spec.min_memory_mb, spec.max_memory_mb),
        vcpus=_range(spec.vcpus, spec.min_vcpus, spec.max_vcpus),
        proc_units=_units(spec),
        disk_gb=template.disk,
        valid="yes",
    )
    return row


def _units(spec: PowerVMSpec) -> str:
    from powerbridge.powervm import format_units

    if spec.proc_units is None or spec.min_proc_units is None or spec.max_proc_units is None:
        return "dedicated"
    return _range(
        format_units(spec.proc_units),
        format_units(spec.min_proc_units),
        format_units(spec.max_proc_units),
    )


def template_record(template: ComputeTemplate) -> Row:
    """The template in words: the LPAR profile PowerVC will build from it."""
    record: Row = {"name": template.name, "id": template.id, "disk": f"{template.disk} GB"}
    spec = template.powervm
    if spec is None:
        record["ram"] = f"{template.ram} MB"
        record["vcpus"] = template.vcpus
        record["valid"] = "no"
        for violation in template.violations:
            record[f"rule broken ({violation.field})"] = violation.message
        record.update(_other_specs(template.extra_specs, powervm_too=True))
        return record
    record.update(describe_spec(spec))
    record.update(_other_specs(template.extra_specs, powervm_too=False))
    return record


def describe_spec(spec: PowerVMSpec) -> Row:
    from powerbridge.powervm import format_units

    described: Row = {
        "memory": f"{spec.memory_mb} MB (minimum {spec.min_memory_mb}, maximum "
        f"{spec.max_memory_mb})",
        "virtual processors": f"{spec.vcpus} (minimum {spec.min_vcpus}, maximum {spec.max_vcpus})",
    }
    if spec.dedicated_proc:
        described["processors"] = "dedicated"
    else:
        assert spec.proc_units is not None
        described["processing units"] = (
            f"{format_units(spec.proc_units)} (minimum "
            f"{format_units(spec.min_proc_units or spec.proc_units)}, maximum "
            f"{format_units(spec.max_proc_units or spec.proc_units)})"
        )
        sharing = "uncapped" if spec.uncapped else "capped"
        described["sharing"] = f"shared, {sharing}, weight {spec.shared_weight}"
        if spec.shared_proc_pool_name:
            described["processor pool"] = spec.shared_proc_pool_name
    described["compatibility mode"] = spec.processor_compatibility
    described["availability priority"] = spec.availability_priority
    described["simplified remote restart"] = "yes" if spec.srr_capability else "no"
    if spec.ame_expansion_factor:
        described["active memory expansion"] = format_units(spec.ame_expansion_factor)
    if spec.storage_connectivity_group:
        described["storage connectivity group"] = spec.storage_connectivity_group
    return described


def _other_specs(specs: Mapping[str, str], *, powervm_too: bool) -> Row:
    return {
        f"spec {key}": value
        for key, value in sorted(specs.items())
        if powervm_too or not key.startswith("powervm:")
    }


async def _templates(c: Cloud) -> list[Any]:
    return list(await c.compute.templates())


async def _find_template(c: Cloud, name: str) -> Any:
    return await c.compute.find_template(name)


TEMPLATES = Kind(
    "compute template",
    "Compute templates (flavors) and the PowerVM partition profile each gives.",
    ["name", "id", "memory_mb", "vcpus", "proc_units", "disk_gb", "valid"],
    _templates,
    _find_template,
    template_row,
    template_record,
)


# -- networks ---------------------------------------------------------------------------------
NetworkItem = tuple["Network", list["Subnet"]]


def network_row(item: NetworkItem) -> Row:
    network, subnets = item
    return {
        "name": network.name,
        "id": network.id,
        "vlan": network.segmentation_id if network.segmentation_id is not None else "",
        "status": network.status,
        "subnets": [s.cidr for s in subnets],
    }


def network_record(item: NetworkItem) -> Row:
    network, subnets = item
    record = network_row(item)
    record["type"] = network.network_type or ""
    record["shared"] = "yes" if network.shared else "no"
    for subnet in subnets:
        pools = ", ".join(f"{start}-{end}" for start, end in subnet.allocation_pools)
        record[f"subnet {subnet.name or subnet.id}"] = (
            f"{subnet.cidr} gateway {subnet.gateway_ip or 'none'}, pools {pools or 'none'}, "
            f"dns {', '.join(subnet.dns_nameservers) or 'none'}"
        )
    return record


def network_data(item: NetworkItem) -> Row:
    network, subnets = item
    return {**network.to_dict(), "subnets": [s.to_dict() for s in subnets]}


async def _networks(c: Cloud) -> list[Any]:
    import asyncio

    networks, subnets = await asyncio.gather(c.network.networks(), c.network.subnets())
    return [(n, [s for s in subnets if s.network_id == n.id]) for n in networks]


async def _find_network(c: Cloud, name: str) -> Any:
    network = await c.network.find_network(name)
    return network, await c.network.subnets(network_id=network.id)


NETWORKS = Kind(
    "network",
    "Networks (VLANs) and their subnets.",
    ["name", "id", "vlan", "status", "subnets"],
    _networks,
    _find_network,
    network_row,
    network_record,
    network_data,
)


# -- storage templates ------------------------------------------------------------------------
def storage_template_row(template: StorageTemplate) -> Row:
    return {
        "name": template.name,
        "id": template.id,
        "description": template.description or "",
        "specs": dict(template.extra_specs),
    }


def storage_template_record(template: StorageTemplate) -> Row:
    record = {k: v for k, v in storage_template_row(template).items() if k != "specs"}
    record["public"] = "yes" if template.is_public else "no"
    record.update({f"spec {k}": v for k, v in sorted(template.extra_specs.items())})
    return record


async def _storage_templates(c: Cloud) -> list[Any]:
    return list(await c.volume.storage_templates())


async def _find_storage_template(c: Cloud, name: str) -> Any:
    return await c.volume.find_storage_template(name)


STORAGE_TEMPLATES = Kind(
    "storage template",
    "Storage templates (volume types): where and how volumes are created.",
    ["name", "id", "description", "specs"],
    _storage_templates,
    _find_storage_template,
    storage_template_row,
    storage_template_record,
)


# -- storage connectivity groups --------------------------------------------------------------
def scg_row(scg: StorageConnectivityGroup) -> Row:
    return {
        "name": scg.name,
        "id": scg.id,
        "enabled": "yes" if scg.enabled else "no",
        "boot": list(scg.boot_connectivity),
        "data": list(scg.data_connectivity),
        "vios_redundancy": scg.vios_redundancy or "",
        "hosts": list(scg.hosts),
    }


async def _scgs(c: Cloud) -> list[Any]:
    return list(await c.powervc.storage_connectivity_groups())


async def _find_scg(c: Cloud, name: str) -> Any:
    return await c.powervc.find_storage_connectivity_group(name)


SCGS = Kind(
    "storage connectivity group",
    "Storage connectivity groups: which hosts and VIOS reach storage, and how.",
    ["name", "id", "enabled", "boot", "data", "vios_redundancy", "hosts"],
    _scgs,
    _find_scg,
    scg_row,
    scg_row,
)


# -- hosts ------------------------------------------------------------------------------------
def _percent(used: float, total: float) -> str:
    return f" ({100 * used / total:.0f}%)" if total else ""


def host_row(host: Host) -> Row:
    from decimal import Decimal

    from powerbridge.powervm import format_units

    if host.proc_units is not None:
        used = host.proc_units_used if host.proc_units_used is not None else Decimal(0)
        units = f"{format_units(used)}/{format_units(host.proc_units)}"
        units += _percent(float(used), float(host.proc_units))
    else:
        units = f"{host.vcpus_used}/{host.vcpus} vcpus"
    return {
        "name": host.name,
        "display_name": host.display_name or "",
        "state": host.state or "",
        "status": host.status or "",
        "vms": host.running_vms,
        "memory_mb": f"{host.memory_mb_used}/{host.memory_mb}"
        + _percent(host.memory_mb_used, host.memory_mb),
        "proc_units": units,
    }


def host_record(host: Host) -> Row:
    return {
        **host_row(host),
        "id": host.id,
        "memory free": f"{host.memory_mb_free} MB",
        "hypervisor": host.hypervisor_type or "",
        "ip": host.host_ip or "",
    }


async def _hosts(c: Cloud) -> list[Any]:
    return list(await c.powervc.hosts())


async def _find_host(c: Cloud, name: str) -> Any:
    return await c.powervc.find_host(name)


HOSTS = Kind(
    "host",
    "Managed hosts and their usage (memory, processing units, VMs).",
    ["name", "display_name", "state", "status", "vms", "memory_mb", "proc_units"],
    _hosts,
    _find_host,
    host_row,
    host_record,
)


# -- host groups ------------------------------------------------------------------------------
def host_group_row(group: HostGroup) -> Row:
    return {
        "name": group.name,
        "id": group.id,
        "availability_zone": group.availability_zone or "",
        "policy": group.placement_policy or "",
        "hosts": list(group.hosts),
    }


async def _host_groups(c: Cloud) -> list[Any]:
    return list(await c.powervc.host_groups())


async def _find_host_group(c: Cloud, name: str) -> Any:
    return await c.powervc.find_host_group(name)


HOST_GROUPS = Kind(
    "host group",
    "Host groups (aggregates): their availability zone, placement policy and hosts.",
    ["name", "id", "availability_zone", "policy", "hosts"],
    _host_groups,
    _find_host_group,
    host_group_row,
    host_group_row,
)


KINDS = {
    "image": IMAGES,
    "template": TEMPLATES,
    "network": NETWORKS,
    "storage-template": STORAGE_TEMPLATES,
    "scg": SCGS,
    "host": HOSTS,
    "host-group": HOST_GROUPS,
}
image_app = kind_app(IMAGES)
template_app = kind_app(TEMPLATES)
network_app = kind_app(NETWORKS)
storage_template_app = kind_app(STORAGE_TEMPLATES)
scg_app = kind_app(SCGS)
host_app = kind_app(HOSTS)
host_group_app = kind_app(HOST_GROUPS)
