"""`ha script`: the node-side configuration as ONE ksh93 script, for review or a manual run
(as admins used `setupcluster`). It is made of the same fragments the workflow's steps run
(`ha.node_commands`), in the same order, so run on fresh nodes it reaches the same cluster.

One script for every node, no remote shell needed: run it as root on each node, the home
node last. Every node prepares itself (/etc/hosts, rhosts, clcomd, scripts, cfgmgr) and its
disks (found by WWN; the first node to run gives them PVIDs, the others read them with
cfgmgr; no_reserve); the home node then builds the cluster, its resources, synchronises,
starts cluster services, waits until every node is ST_STABLE with the group online at home,
and runs the application command once. Any re-run changes nothing.
"""

from __future__ import annotations

from powerbridge.ha import node_cluster, node_disks, node_prepare
from powerbridge.ha.ksh import LIBRARY, quote
from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.node_values import PLACEHOLDER, Values, values_for
from powerbridge.ha.topology import Topology

__all__ = ["WAIT_ATTEMPTS", "WAIT_SECONDS", "render_script"]

WAIT_ATTEMPTS, WAIT_SECONDS = 60, 10  # up to ten minutes for ST_STABLE


def _header(spec: ClusterSpec, values: Values) -> str:
    home = spec.home_node
    lines = [
        "#!/bin/ksh93",
        f"# powerbridge ha script: PowerHA SystemMirror 7 cluster {spec.name}",
        f"# nodes {', '.join(spec.node_names)} (home node {home}), resource group"
        f" {spec.resource_group.name}, service IP {spec.service_ip.label}",
        "#",
        "# Run as root on EVERY node, the home node LAST, e.g. `ssh root@NODE ksh < FILE`:",
        "#   every node: /etc/hosts, /etc/cluster/rhosts, clcomd, the application scripts,",
        "#     cfgmgr, the cluster disks found by WWN (lspv -u), PVIDs, reserve_policy=no_reserve",
        f"#   {home} also: clmgr cluster and resources, sync, online, waits for ST_STABLE,",
        "#     then the application command (once).",
        "# Each step asks before it changes: running it again changes nothing.",
    ]
    if values.placeholders:
        lines += [
            "#",
            f"# The nodes do not exist yet: replace every {PLACEHOLDER} below with the node",
            "# addresses, the service IP and the volumes' WWNs (PowerVC: the volume's",
            "# volume_wwn metadata) before running it.",
        ]
    return "\n".join(lines) + "\n\n"


def _variables(values: Values) -> str:
    lines = ["# -- values PowerVC decides ----------------------------------------------\n"]
    for variable in values.variables():
        value = quote(variable.value) if variable.value is not None else PLACEHOLDER
        lines.append(f"{variable.name}={value}  # {variable.comment}\n")
    return "".join(lines)


def _checks(spec: ClusterSpec, values: Values) -> str:
    names = " ".join(spec.node_names)
    checked = " ".join(f'"${variable.name}"' for variable in values.variables())
    return (
        "\n# -- which node this is; every value filled in -----------------------------\n"
        f"for pb_value in {checked}; do\n"
        f'    [ "$pb_value" != {PLACEHOLDER} ] || pb_fail "fill in every {PLACEHOLDER} at the'
        ' top of this script first"\n'
        "done\n"
        f'case " {names} " in\n'
        '*" $THIS_NODE "*) ;;\n'
        f'*) pb_fail "this host ($THIS_NODE) is none of the nodes {names}: set THIS_NODE";;\n'
        "esac\n"
    )


def _node_part(spec: ClusterSpec, values: Values) -> str:
    return (
        "\n# -- 1. this node: hosts, rhosts, clcomd, scripts ---------------------------\n"
        + node_prepare.etc_hosts(spec, values)
        + node_prepare.rhosts(values)
        + node_prepare.application_scripts(spec)
        + "\n# -- 2. this node's cluster disks, by WWN ----------------------------------\n"
        + node_prepare.cfgmgr()
        + node_disks.locate(values.disks)
        + node_disks.assign_pvids(values.disks)
        + node_disks.no_reserve(values.disks)
        + '\nif [ "$THIS_NODE" != "$HOME_NODE" ]; then\n'
        '    echo "$THIS_NODE is ready: once every other node has run this script,"'
        ' "run it on $HOME_NODE"\n'
        "    exit 0\n"
        "fi\n"
    )


def _wait(spec: ClusterSpec) -> str:
    group, home, count = spec.resource_group.name, spec.home_node, len(spec.nodes)
    online = quote(f"{group}:ONLINE:{home}:")
    return (
        "\n# -- 7. wait until every node is ST_STABLE and the group online at home ---\n"
        "pb_tries=0\n"
        "until [ \"$(clcmd lssrc -ls clstrmgrES 2>/dev/null | grep -c 'Current state:"
        f" ST_STABLE')\" = {count} ] &&\n"
        f"    clRGinfo -s 2>/dev/null | grep -F -q {online}; do\n"
        "    pb_tries=$((pb_tries + 1))\n"
        f'    [ $pb_tries -le {WAIT_ATTEMPTS} ] || pb_fail "the cluster is not stable after'
        f' {WAIT_ATTEMPTS * WAIT_SECONDS} s: see lssrc -ls clstrmgrES and clRGinfo on every node"\n'
        f"    sleep {WAIT_SECONDS}\n"
        "done\n"
        f'echo "cluster {spec.name}: every node ST_STABLE, {group} online on {home}"\n'
    )


def _application(spec: ClusterSpec) -> str:
    command = spec.application_command
    if command is None:
        return ""
    done = quote(f"/var/powerbridge/{spec.name}.application-done")
    return (
        "\n# -- 8. the application command, once ---------------------------------------\n"
        f"if [ ! -f {done} ]; then\n"
        "    echo '+ the application command'\n"
        f"    (\n{command.command.rstrip()}\n    ) || pb_fail 'the application command failed'\n"
        f"    mkdir -p /var/powerbridge && touch {done}\n"
        "fi\n"
    )


def _section(title: str, fragment: str) -> str:
    """A numbered header in place of the fragment's own first comment line."""
    first, _, rest = fragment.partition("\n")
    body = rest if first.startswith("#") else fragment
    return f"\n# -- {title} {'-' * (72 - len(title))}\n{body}"


def render_script(spec: ClusterSpec, topology: Topology | None = None) -> str:
    """The whole node-side configuration as one ksh93 script: values from `topology`, or
    placeholders the admin fills in when the nodes do not exist yet."""
    values = values_for(spec, topology)
    return (
        _header(spec, values)
        + _variables(values)
        + "\nTHIS_NODE=${THIS_NODE:-$(hostname -s)}  # this node's PowerHA name\n"
        + f"HOME_NODE={quote(spec.home_node)}\n\n"
        + LIBRARY
        + _checks(spec, values)
        + _node_part(spec, values)
        + _section("3. the cluster", node_cluster.cluster(spec, values))
        + _section("4. the resources", node_cluster.resources(spec, values))
        + _section("5. sync", node_cluster.sync())
        + _section("6. online", node_cluster.online(spec))
        + _wait(spec)
        + _application(spec)
    )
