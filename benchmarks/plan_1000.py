"""Plan a 1,000-VM deployment: parse + plan time (`process_time()`) and peak memory.

The spec, in YAML (one entry per VM, written out, not a pattern) and in the pipe format, gives
each VM a private volume, a host group, a fixed IP; every tenth VM has `powervm:` overrides and
ten VMs share an anti-affinity rule. The synthetic CloudView has 50 hosts in 5 host groups and
1,000 existing VMs with a volume each: 100 of them already belong to this deployment
(unchanged), 900 to another one. Text and view are built before measuring; the figures cover
parsing and planning only, after imports. Targets: under 1 s of CPU and 200 MB peak
(tracemalloc) per format. Exit status 1 when a target is missed.

    python benchmarks/plan_1000.py [--servers N] [--hosts N]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal

from powerbridge.deploy import DeploymentSpec, build_plan, parse_pipe, parse_yaml
from powerbridge.deploy.cloudview import (
    CloudView,
    CollocationRule,
    ComputeTemplate,
    Host,
    HostGroup,
    Image,
    Network,
    ProjectLimits,
    Server,
    StorageProvider,
    StorageTemplate,
    Volume,
)
from powerbridge.deploy.plan_model import Plan

TARGET_SECONDS = 1.0
TARGET_MB = 200.0
DEPLOYMENT = "bench"
GROUPS = 5
TAG = "powerbridge:deployment"

SPECS = {
    "powervm:min_mem": "2048",
    "powervm:max_mem": "16384",
    "powervm:min_vcpu": "1",
    "powervm:max_vcpu": "4",
    "powervm:proc_units": "0.5",
    "powervm:min_proc_units": "0.25",
    "powervm:max_proc_units": "2",
}


def server_name(n: int) -> str:
    return f"web{n:04d}"


def fixed_ip(n: int) -> str:
    return f"10.20.{n // 250}.{n % 250 + 2}"


def make_view(servers: int, hosts: int, volume_name: Callable[[str], str]) -> CloudView:
    """The cloud; `volume_name` names the volume of a server of this deployment as the
    format under test does, so that the 100 existing servers have theirs."""
    host_list = tuple(
        Host(f"9080-HEX_{n:04d}", f"host{n:02d}", 2_000_000, Decimal(200)) for n in range(hosts)
    )
    per_group = max(1, hosts // GROUPS)
    groups = tuple(
        HostGroup(
            f"hg-{g}",
            f"group{g}",
            f"zone{g}",
            tuple(h.name for h in host_list[g * per_group : (g + 1) * per_group]),
        )
        for g in range(GROUPS)
    )
    existing = tuple(
        Server(
            f"srv-{n}",
            server_name(n) if n < servers // 10 else f"legacy{n:04d}",
            metadata={TAG: DEPLOYMENT if n < servers // 10 else "legacy"},
            host=host_list[n % hosts].name,
        )
        for n in range(servers)
    )
    volumes = tuple(
        Volume(
            f"vol-{n}",
            volume_name(server.name) if n < servers // 10 else f"legacy{n:04d}-data",
            10,
            "in-use",
            {TAG: server.metadata[TAG]},
            (server.id,),
        )
        for n, server in enumerate(existing)
    )
    return CloudView(
        templates=(
            ComputeTemplate("fl-s", "powervm.small", 4096, 2, 20, SPECS),
            ComputeTemplate("fl-m", "powervm.medium", 8192, 4, 40, SPECS),
        ),
        images=(Image("img-aix", "AIX72", 20), Image("img-rhel", "RHEL84-LE", 30)),
        networks=(Network("net-1", "appnet", 60_000, ("10.20.0.0/16",)),),
        storage_templates=(StorageTemplate("vt-1", "svc base", "svc82", is_default=True),),
        storage_providers=(StorageProvider("svc82", 1_000_000),),
        hosts=host_list,
        host_groups=groups,
        collocation_rules=(CollocationRule("grp-1", "legacy-apart", "anti-affinity"),),
        servers=existing,
        volumes=volumes,
        limits=ProjectLimits(servers, 100_000, 2 * servers, 1_000_000, 0, -1),
    )


def yaml_text(servers: int) -> str:
    lines = [
        f"deployment: {DEPLOYMENT}",
        "defaults: {template: powervm.small, image: AIX72, network: appnet,"
        " storage_template: svc base, metadata: {app: bench}}",
        "servers:",
    ]
    for n in range(servers):
        lines += [
            f"  - name: {server_name(n)}",
            f"    host_group: group{n % GROUPS}",
            f"    fixed_ip: {fixed_ip(n)}",
            "    volumes: [{size_gb: 10, name: data}]",
        ]
        if n % 10 == 0:
            lines.append("    powervm: {max_mem: 32768, proc_units: 1}")
        if n % 100 == 1:
            lines.append("    collocation_rule: apart")
    lines += ["collocation_rules:", "  apart: {policy: anti-affinity}"]
    return "\n".join(lines) + "\n"


def pipe_text(servers: int) -> str:
    return "".join(
        f"flavor_name=powervm.small|vm_name={server_name(n)}|image_name=AIX72|vlan_name=appnet"
        f"|lun_spec=1:10:svc base:data::data of {server_name(n)}|host_name="
        f"|host_group=group{n % GROUPS}|storage_connectivity_group=|fixed_ip={fixed_ip(n)}\n"
        for n in range(servers)
    )


def measure(parse: Callable[[], DeploymentSpec], view: CloudView) -> tuple[float, float, Plan]:
    start = time.process_time()
    plan = build_plan(parse(), view)
    seconds = time.process_time() - start
    tracemalloc.start()
    build_plan(parse(), view)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 2**20, plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    args = parser.parse_args()
    yaml_spec, pipe_spec = yaml_text(args.servers), pipe_text(args.servers)
    ok = True
    for label, parse, volume_name in (
        ("yaml", lambda: parse_yaml(yaml_spec, source="bench.yaml"), "{}-data".format),
        (
            "pipe",
            lambda: parse_pipe(pipe_spec, name=DEPLOYMENT, source="bench.pipe"),
            "data-{}-1".format,
        ),
    ):
        view = make_view(args.servers, args.hosts, volume_name)
        seconds, megabytes, plan = measure(parse, view)
        passed = seconds < TARGET_SECONDS and megabytes < TARGET_MB and plan.ok
        ok = ok and passed
        print(
            f"{label}: {args.servers} VMs, {args.hosts} hosts: parse+plan {seconds:.3f} s CPU"
            f" (target < {TARGET_SECONDS} s), peak {megabytes:.1f} MB (target < {TARGET_MB} MB);"
            f" {len(plan.creates)} creates, {len(plan.unchanged)} unchanged,"
            f" {len(plan.blocks)} blocks: {'ok' if passed else 'MISSED'}"
        )
        for block in plan.blocks[:3]:
            print(f"  block: {block.message}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
