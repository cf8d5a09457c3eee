"""The PowerHA configuration on the home node, as ksh fragments: the cluster, its resources,
sync and online. Every change first asks clmgr (`clmgr query CLASS NAME` exits non-zero when
the object is absent), as PowerHA's public automation does, so a re-run adds nothing twice.
A failing clmgr leaves its `ERROR:` line on stderr and stops the script (`pb_run`)."""

from __future__ import annotations

from powerbridge.ha.ksh import quote
from powerbridge.ha.model import ClusterSpec, SplitMergeSpec
from powerbridge.ha.node_disks import disk_variable, locate
from powerbridge.ha.node_values import Values

__all__ = ["cluster", "online", "resources", "split_merge_policy", "sync"]

DEFAULT_NETWORK = "net_ether_01"
ONLINE_CLUSTER = "clmgr online cluster WHEN=now MANAGE=auto START_CAA=yes"


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines())


def _ensure(cls: str, word: str, add: str) -> str:
    """`add` (ksh lines ending in a `pb_run clmgr add ...`) unless clmgr knows the object
    `word` (a shell word: quoted, or a variable) names."""
    return f"if ! clmgr query {cls} {word} >/dev/null 2>&1; then\n{_indent(add)}fi\n"


def split_merge_policy(spec: ClusterSpec) -> SplitMergeSpec:
    """The spec's policies, else PowerHA's own default (split none, merge majority: on a tie,
    as two nodes always are, the partition with the lowest node id survives a merge). It is
    the only pair that needs no extra resource; a tie-breaker needs a disk the spec lacks."""
    return spec.split_merge or SplitMergeSpec()


def cluster(spec: ClusterSpec, values: Values) -> str:
    """The cluster with its repository (created when this node is in none; a node already in
    another cluster stops the script), the backup repository, the split and merge policy."""
    nodes = ",".join(spec.node_names)
    repository = values.disks_of("repository")
    options = f" TYPE={spec.cluster_type}"
    if spec.heartbeat:
        options += f" HEARTBEAT_TYPE={spec.heartbeat}"
    parts = [
        "# the cluster\n",
        "if clmgr query cluster >/dev/null 2>&1; then\n",
        "    pb_name=$(pb_attr -a CLUSTER_NAME query cluster)\n",
        f'    [ "$pb_name" = {quote(spec.name)} ] || pb_fail "this node is in cluster'
        f' $pb_name, not {spec.name}: delete that cluster first (clmgr delete cluster)"\n',
        "else\n",
        _indent(locate(repository)),
        f"    pb_run clmgr add cluster {quote(spec.name)} NODES={nodes}"
        f" REPOSITORIES=${disk_variable(repository[0])}{options}\n",
        "fi\n",
    ]
    for backup in values.disks_of("backup_repository"):
        variable = disk_variable(backup)
        parts.append(locate([backup]))
        add = f"pb_run clmgr add repository ${variable}"
        parts.append(_ensure("repository", f'"${variable}"', add))
    parts.append(_policies(split_merge_policy(spec)))
    return "".join(parts)


def _policies(policy: SplitMergeSpec) -> str:
    wanted = f"{policy.split}/{policy.merge}".lower()
    return (
        "pb_policy=$(pb_attr -a SPLIT_POLICY query cluster)/$(pb_attr -a MERGE_POLICY query"
        " cluster)\n"
        f"[ \"$(echo $pb_policy | tr '[:upper:]' '[:lower:]')\" = {quote(wanted)} ] ||\n"
        f"    pb_run clmgr modify cluster SPLIT_POLICY={policy.split}"
        f" MERGE_POLICY={policy.merge}\n"
    )


def _partition_mb(values: Values, spec: ClusterSpec) -> int:
    """The volume group's PP size: the smallest power of two (4 MB at least) that keeps the
    largest data disk within 1016 partitions, mkvg's rule, stated so LV sizes are exact."""
    sizes = [d.size_gb or spec.shared_storage.size_gb for d in values.disks_of("data")]
    largest_mb = max(sizes, default=spec.shared_storage.size_gb) * 1024
    size = 4
    while largest_mb > size * 1016:
        size *= 2
    return size


def _storage(spec: ClusterSpec, values: Values) -> list[str]:
    storage = spec.shared_storage
    vg = storage.volume_group
    nodes = ",".join(spec.node_names)
    data = values.disks_of("data")
    if not data:
        return []  # no shared data disk: no volume group, nothing on one
    disks = ",".join(f"${disk_variable(disk)}" for disk in data)
    pp_mb = _partition_mb(values, spec)
    add_vg = locate(data) + (
        f"pb_run clmgr add volume_group {vg} NODES={nodes} PHYSICAL_VOLUMES={disks}"
        f" TYPE=scalable PPART_SIZE={pp_mb}"
    )
    parts = [_ensure("volume_group", quote(vg), add_vg)]
    for lv in storage.logical_volumes:
        partitions = -(-lv.size_mb // pp_mb)
        add_lv = (
            f"pb_run clmgr add logical_volume {quote(lv.name)} VOLUME_GROUP={vg}"
            f" LOGICAL_PARTITIONS={partitions} TYPE={lv.type}"
        )
        parts.append(_ensure("logical_volume", quote(lv.name), add_lv))
    for fs in storage.file_systems:
        add_fs = (
            f"pb_run clmgr add file_system {quote(fs.mount_point)}"
            f" LOGICAL_VOLUME={quote(fs.logical_volume)} TYPE=enhanced"
        )
        parts.append(_ensure("file_system", quote(fs.mount_point), add_fs))
    return parts


def _application(spec: ClusterSpec) -> list[str]:
    app = spec.application
    parts = [
        _ensure(
            "application_controller",
            quote(app.name),
            f"pb_run clmgr add application_controller {quote(app.name)}"
            f" STARTSCRIPT={quote(app.start.path)} STOPSCRIPT={quote(app.stop.path)}",
        )
    ]
    monitor = app.monitor
    if monitor is not None:
        add = (
            f"pb_run clmgr add application_monitor {quote(monitor.name)} TYPE=Custom"
            f" APPLICATIONS={quote(app.name)} MODE=longrunning"
            f" MONITORMETHOD={quote(monitor.script.path)} MONITORINTERVAL={monitor.interval}"
            f" RESTARTCOUNT={monitor.retry_count} FAILUREACTION=fallover"
        )
        parts.append(_ensure("application_monitor", quote(monitor.name), add))
    return parts


def _group(spec: ClusterSpec, values: Values) -> str:
    group = spec.resource_group
    policy = f" NODE_PRIORITY_POLICY={group.node_priority_policy}"
    add = (
        f"pb_run clmgr add resource_group {quote(group.name)} NODES={','.join(spec.node_names)}"
        f" STARTUP={group.startup} FALLOVER={group.fallover} FALLBACK={group.fallback}"
        f"{policy if group.node_priority_policy else ''}"
        f" SERVICE_LABEL={quote(spec.service_ip.label)} APPLICATIONS={quote(spec.application.name)}"
    )
    if values.disks_of("data"):
        add += f" VOLUME_GROUP={spec.shared_storage.volume_group}"
    return _ensure("resource_group", quote(group.name), add)


def resources(spec: ClusterSpec, values: Values) -> str:
    """The service IP (on the network clmgr lists first), the application controller and
    monitor, the shared volume group (its disks found by WWN), logical volumes and file
    systems, and the resource group holding them."""
    label = spec.service_ip.label
    netmask = f" NETMASK={values.netmask}" if values.netmask else ""
    parts = [
        "# the resources\n",
        "pb_network=$(clmgr query network 2>/dev/null | awk 'NR==1 {print $1}')\n",
        f"pb_network=${{pb_network:-{DEFAULT_NETWORK}}}\n",
        _ensure(
            "service_ip",
            quote(label),
            f"pb_run clmgr add service_ip {quote(label)} NETWORK=$pb_network{netmask}",
        ),
        *_application(spec),
        *_storage(spec, values),
        _group(spec, values),
    ]
    return "".join(parts)


def sync() -> str:
    """`clmgr sync cluster` unless clmgr reports no unsynchronised change."""
    return (
        "# verify and synchronise the configuration to every node\n"
        '[ "$(pb_attr -a UNSYNCED_CHANGES query cluster)" = false ] ||'
        " pb_run clmgr sync cluster\n"
    )


def online(spec: ClusterSpec) -> str:
    """Cluster services started where they are stopped: the whole cluster when stopped on
    every node (CAA comes up with it), else the nodes still OFFLINE; nothing when none is."""
    names = " ".join(quote(name) for name in spec.node_names)
    return (
        "# start cluster services where they are stopped\n"
        'pb_offline=""\n'
        "pb_running=no\n"
        f"for pb_node in {names}; do\n"
        '    if [ "$(pb_attr -a STATE query node $pb_node)" = OFFLINE ]; then\n'
        '        pb_offline="${pb_offline:+$pb_offline,}$pb_node"\n'
        "    else\n"
        "        pb_running=yes\n"
        "    fi\n"
        "done\n"
        'if [ -z "$pb_offline" ]; then\n'
        "    echo 'cluster services already run on every node'\n"
        "elif [ $pb_running = no ]; then\n"
        f"    pb_run {ONLINE_CLUSTER}\n"
        "else\n"
        "    pb_run clmgr online node $pb_offline WHEN=now MANAGE=auto\n"
        "fi\n"
    )
